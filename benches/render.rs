//! In-process benchmarks of the render pipeline on the reference tenant
//! (`examples/acme.yaml`): loading the values, auditing the rendered
//! config.toml, checking the rendered objects, and the whole
//! load-and-render of one tenant, with the templates compiled already (as
//! for the second and later tenants of a run) and with a new template set.
//!
//! Run with `cargo bench --bench render`; BENCHMARKS.md records the figures.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use stalwart_tenant::audit;
use stalwart_tenant::check::{self, RenderedDocument};
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

/// Renders the reference tenant once, for the benchmarks of later stages.
fn rendered_acme() -> stalwart_tenant::render::Rendered {
    render_acme(&TemplateSet::embedded())
        .rendered
        .expect("render_acme checks that the render succeeded")
}

fn bench_load(c: &mut Criterion) {
    c.bench_function("load values (acme.yaml)", |b| {
        b.iter(|| black_box(load_acme()));
    });
}

fn bench_audit(c: &mut Criterion) {
    let rendered = rendered_acme();
    let config_toml = rendered.config_toml;
    c.bench_function("audit config.toml (acme)", |b| {
        b.iter(|| black_box(audit::audit_config(black_box(&config_toml))));
    });
}

fn bench_check(c: &mut Criterion) {
    let rendered = rendered_acme();
    let documents: Vec<RenderedDocument> = rendered
        .objects
        .into_iter()
        .map(|object| RenderedDocument {
            template: object.source,
            line: 1,
            text: object.text,
        })
        .collect();
    c.bench_function("check the rendered objects (acme)", |b| {
        b.iter(|| black_box(check::check_documents(black_box(&documents))));
    });
}

fn render_acme(templates: &TemplateSet) -> stalwart_tenant::render::Outcome {
    let loaded = load_acme();
    let outcome = stalwart_tenant::render::render(&loaded, &acme_options(), templates);
    assert!(
        outcome.rendered.is_some(),
        "the acme render failed: {:?}",
        outcome.diagnostics
    );
    outcome
}

fn bench_render(c: &mut Criterion) {
    let templates = TemplateSet::embedded();
    c.bench_function("load and render one tenant (acme)", |b| {
        b.iter(|| black_box(render_acme(&templates)));
    });
    c.bench_function(
        "load and render one tenant, templates not compiled yet (acme)",
        |b| {
            b.iter(|| black_box(render_acme(&TemplateSet::embedded())));
        },
    );
}

criterion_group!(benches, bench_load, bench_audit, bench_check, bench_render);
criterion_main!(benches);
