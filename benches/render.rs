//! In-process benchmarks of the render pipeline on the reference tenant
//! (`examples/acme.yaml`): loading the values, auditing the rendered
//! config.toml, and the whole load-and-render of one tenant.
//!
//! Run with `cargo bench --bench render`; BENCHMARKS.md records the figures.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use stalwart_tenant::audit;
use stalwart_tenant::render::context::RenderOptions;
use stalwart_tenant::render::templates::TemplateSet;
use stalwart_tenant::values::{self, Input, Loaded};

const ACME: &str = include_str!("../examples/acme.yaml");

/// Loads the reference tenant the way `render -f -` does, from stdin bytes.
fn load_acme() -> Loaded {
    let inputs = [Input::File(PathBuf::from("-"))];
    let mut stdin = ACME.as_bytes();
    match values::load(&inputs, &mut stdin) {
        Ok(loaded) => loaded,
        Err(problems) => panic!("examples/acme.yaml does not load: {problems:?}"),
    }
}

fn acme_options() -> RenderOptions {
    RenderOptions {
        release_name: "stalwart".to_owned(),
        namespace: Some("acme".to_owned()),
        smoke: false,
    }
}

fn bench_load(c: &mut Criterion) {
    c.bench_function("load values (acme.yaml)", |b| {
        b.iter(|| black_box(load_acme()));
    });
}

fn bench_audit(c: &mut Criterion) {
    let loaded = load_acme();
    let outcome =
        stalwart_tenant::render::render(&loaded, &acme_options(), &TemplateSet::embedded());
    let Some(rendered) = outcome.rendered else {
        panic!(
            "examples/acme.yaml does not render: {:?}",
            outcome.diagnostics
        );
    };
    let config_toml = rendered.config_toml;
    c.bench_function("audit config.toml (acme)", |b| {
        b.iter(|| black_box(audit::audit_config(black_box(&config_toml))));
    });
}

fn bench_render(c: &mut Criterion) {
    let options = acme_options();
    let templates = TemplateSet::embedded();
    c.bench_function("load and render one tenant (acme)", |b| {
        b.iter(|| {
            let loaded = load_acme();
            let outcome = stalwart_tenant::render::render(&loaded, &options, &templates);
            assert!(
                outcome.rendered.is_some(),
                "the acme render failed: {:?}",
                outcome.diagnostics
            );
            black_box(outcome)
        });
    });
}

criterion_group!(benches, bench_load, bench_audit, bench_render);
criterion_main!(benches);
