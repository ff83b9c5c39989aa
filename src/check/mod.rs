//! Output checks: every rendered document parsed back and checked against its Kubernetes type.
