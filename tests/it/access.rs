//! Token troubleshooting against the simulated cluster's demo identities.

use crate::common;
use common::{demo_dir, demo_sim};
use kn_mesh::access::least_privilege::{self, Purpose};
use kn_mesh::access::token::TokenKind;
use kn_mesh::access::{self, AccessReport, Severity};
use kn_mesh::sim::{RunningSim, SimConfig};
use kn_mesh::source::connect::Endpoint;
use kn_mesh::source::fetch::{FetchError, Fetcher, Scope};

async fn report_for_token(sim: &RunningSim, token: &str) -> Result<AccessReport, FetchError> {
    let client =
        kube::Client::try_from(sim.client_config_with_token(token).await.unwrap()).unwrap();
    let fetcher = Fetcher::new(
        client,
        Endpoint {
            server: sim.url.clone(),
            context: None,
            token: None,
            acting_as: None,
        },
    );
    access::check(&fetcher, &Scope::default(), Some(token)).await
}

async fn report(sim: &RunningSim, identity: &str) -> AccessReport {
    report_for_token(sim, sim.token(identity).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn mesh_viewer_is_fit_with_no_findings_and_a_bound_token_that_expires() {
    let sim = demo_sim().await;
    let report = report(&sim, "mesh-viewer").await;
    assert_eq!(
        kn_mesh::exit::for_verdict(report.verdict()),
        0,
        "{:#?}",
        report.fit
    );
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let token = report.token.as_ref().unwrap();
    assert_eq!(token.kind, Some(TokenKind::Bound));
    assert!(token.expires_at.is_some());
    assert_eq!(
        report.identity.as_ref().unwrap().username,
        "system:serviceaccount:backstage:mesh-viewer"
    );
    let text = access::render::text(&report, false, jiff::Timestamp::now().as_second());
    assert!(text.contains("expires     20"), "{text}");
    assert!(text.contains("✓ fit for purpose"));
    assert!(
        !text.contains(sim.token("mesh-viewer").unwrap()),
        "the token is never printed"
    );
}

#[tokio::test]
async fn payments_only_lacks_exactly_the_cluster_wide_permissions() {
    let sim = demo_sim().await;
    let report = report(&sim, "payments-only").await;
    assert_eq!(kn_mesh::exit::for_verdict(report.verdict()), 1);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let backend = &report.fit[0];
    // payments-only may not list CRDs, so the built-in channel and source kinds stand in.
    let mut expected: Vec<String> = [
        "brokers.eventing.knative.dev",
        "triggers.eventing.knative.dev",
        "eventtypes.eventing.knative.dev",
        "subscriptions.messaging.knative.dev",
        "apiserversources.sources.knative.dev",
        "channels.messaging.knative.dev",
        "containersources.sources.knative.dev",
        "inmemorychannels.messaging.knative.dev",
        "pingsources.sources.knative.dev",
        "sinkbindings.sources.knative.dev",
        "integrationsources.sources.knative.dev",
        "kafkachannels.messaging.knative.dev",
        "kafkasources.sources.knative.dev",
        "customresourcedefinitions.apiextensions.k8s.io",
    ]
    .iter()
    .map(|r| format!("list {r} at the cluster scope"))
    .collect();
    let mut missing = backend.missing.clone();
    expected.sort();
    missing.sort();
    assert_eq!(missing, expected);
    // In payments itself everything is readable.
    let payments = report
        .matrix
        .iter()
        .find(|r| {
            r.resource == "triggers.eventing.knative.dev"
                && r.namespace.as_deref() == Some("payments")
        })
        .unwrap();
    assert_eq!(
        (payments.get, payments.list, payments.watch),
        (Some(true), Some(true), Some(true))
    );
}

#[tokio::test]
async fn docs_reader_is_over_privileged_and_its_token_never_expires() {
    let sim = demo_sim().await;
    let report = report(&sim, "docs-reader").await;
    assert_eq!(kn_mesh::exit::for_verdict(report.verdict()), 3);
    let secrets = report
        .findings
        .iter()
        .find(|f| f.title == "can read Secrets")
        .unwrap();
    assert_eq!(secrets.severity, Severity::High);
    assert!(secrets.evidence[0].starts_with("allowed: get secrets at the cluster scope (RBAC: allowed by ClusterRoleBinding \"eventmesh-backend-user\""), "{:?}", secrets.evidence);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.title == "wildcard verbs or resources")
    );
    assert_eq!(report.token.as_ref().unwrap().kind, Some(TokenKind::Legacy));
    assert!(report.warnings.iter().any(|w| w.contains("never expires")));
}

#[tokio::test]
async fn an_expired_bound_token_is_explained() {
    let sim = demo_sim().await;
    let uid = sim.identity("mesh-viewer").unwrap().user.uid.clone();
    let now = jiff::Timestamp::now().as_second();
    let (expired, expiry) =
        sim.state
            .authority
            .mint_bound("backstage", "mesh-viewer", &uid, &[], 600, now - 7200);
    let error = report_for_token(&sim, &expired).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, FetchError::TokenRejected { .. }));
    let when = kn_mesh::access::token::absolute(expiry);
    assert!(message.contains(&format!("expired at {when}")), "{message}");
    assert!(!message.contains(&expired));
}

#[tokio::test]
async fn a_static_token_is_reported_as_static() {
    let objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
    let user = kn_mesh::sim::rbac::UserInfo {
        username: "ops-bot".into(),
        uid: "7".into(),
        groups: vec!["system:authenticated".into()],
        ..Default::default()
    };
    let sim = RunningSim::start(SimConfig {
        objects,
        static_tokens: vec![("static-0123456789abcdef".into(), user)],
        ..Default::default()
    })
    .await
    .unwrap();
    let report = report_for_token(&sim, "static-0123456789abcdef")
        .await
        .unwrap();
    assert_eq!(report.token.as_ref().unwrap().kind, Some(TokenKind::Opaque));
    assert!(report.warnings.iter().any(|w| w.contains("static")));
    assert_eq!(report.identity.as_ref().unwrap().username, "ops-bot");
    let text = access::render::text(&report, false, 0);
    assert!(
        !text.contains("static-0123456789abcdef") && text.contains("static…(redacted, 23 chars)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_backstage_identity_token_is_recognised_explained_and_not_printed() {
    let sim = demo_sim().await;
    use base64::Engine;
    let encode = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let token = format!(
        "{}.{}.c2lnbmF0dXJl",
        encode(serde_json::json!({"alg": "ES256", "typ": "JWT"})),
        encode(
            serde_json::json!({"iss": "http://backstage.example.com/api/auth", "aud": "backstage", "sub": "user:default/jane", "ent": ["user:default/jane"], "exp": 4_000_000_000i64})
        )
    );
    // Through the binary, as a user runs it.
    let dir = tempfile::tempdir().unwrap();
    let (token_file, ca_file) = (dir.path().join("token"), dir.path().join("ca.pem"));
    std::fs::write(&token_file, &token).unwrap();
    std::fs::write(&ca_file, &sim.ca_pem).unwrap();
    let url = sim.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(["auth", "--server", &url])
            .arg("--token-file")
            .arg(&token_file)
            .arg("--certificate-authority")
            .arg(&ca_file)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("Backstage user identity token"), "{stderr}");
    assert!(stderr.contains("KNATIVE_EVENT_MESH_TOKEN"), "{stderr}");
    assert!(!stderr.contains(&token) && !String::from_utf8_lossy(&output.stdout).contains(&token));
}

#[tokio::test]
async fn the_least_privilege_role_round_trips_through_the_sim() {
    // The manifests kn-mesh rbac prints for the demo's kinds...
    let snapshot = kn_mesh::source::manifests::read_snapshot(&[demo_dir()], None)
        .unwrap()
        .snapshot;
    let options = least_privilege::Options {
        purpose: Purpose::KnMesh,
        service_account: "kn-mesh".into(),
        namespace: "backstage".into(),
        namespaces: Vec::new(),
        legacy_token_secret: false,
    };
    let manifests = least_privilege::manifests(&options, &snapshot).unwrap();
    assert!(
        !manifests.contains("\"*\"") && !manifests.contains("secrets"),
        "{manifests}"
    );
    let generated: Vec<serde_json::Value> = serde_saphyr::from_multiple(&manifests).unwrap();
    // ...applied to the cluster at start-up...
    let mut objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
    objects.extend(generated);
    let sim = RunningSim::start(SimConfig {
        objects,
        ..Default::default()
    })
    .await
    .unwrap();
    // ...give a ServiceAccount that passes its own check.
    let report = report(&sim, "kn-mesh").await;
    assert_eq!(
        kn_mesh::exit::for_verdict(report.verdict()),
        0,
        "{:#?}",
        report.fit
    );
    assert!(report.findings.is_empty(), "{:#?}", report.findings);

    // The backend set and the legacy form differ as promised.
    let backend = least_privilege::manifests(
        &least_privilege::Options {
            purpose: Purpose::Backend,
            legacy_token_secret: true,
            ..options.clone()
        },
        &snapshot,
    )
    .unwrap();
    let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(&backend).unwrap();
    let role = documents
        .iter()
        .find(|d| d["kind"] == "ClusterRole")
        .unwrap();
    let verbs: std::collections::BTreeSet<String> = role["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["verbs"].as_array().unwrap().iter())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(verbs, ["get".to_string(), "list".to_string()].into());
    assert!(
        documents
            .iter()
            .any(|d| d["type"] == "kubernetes.io/service-account-token")
            && backend.contains("never expires")
    );
    let namespaced = least_privilege::manifests(
        &least_privilege::Options {
            namespaces: vec!["payments".into()],
            ..options
        },
        &snapshot,
    )
    .unwrap();
    assert!(namespaced.contains("kind: Role\n") && namespaced.contains("namespace: payments"));
}

/// The report from rules (one review per namespace) is the report from one access review per
/// cell: the same matrix, fit, findings and verdict, for every demo identity.
#[tokio::test(flavor = "multi_thread")]
async fn the_report_from_rules_equals_the_report_from_access_reviews() {
    use kn_mesh::access::{Strategy, check_with_strategy};
    let sim = demo_sim().await;
    for identity in ["payments-only", "mesh-viewer", "docs-reader", "admin"] {
        let fetcher = common::fetcher(&sim, identity).await;
        let token = sim.token(identity);
        let scope = Scope::default();
        let fast = check_with_strategy(&fetcher, &scope, token, None, Strategy::Rules)
            .await
            .unwrap();
        let fetcher = common::fetcher(&sim, identity).await;
        let slow = check_with_strategy(&fetcher, &scope, token, None, Strategy::AccessReviewsOnly)
            .await
            .unwrap();
        assert_eq!(fast.matrix, slow.matrix, "{identity}: matrix");
        assert_eq!(fast.fit, slow.fit, "{identity}: fit");
        assert_eq!(fast.findings, slow.findings, "{identity}: findings");
        assert_eq!(fast.verdict(), slow.verdict(), "{identity}: verdict");
        assert!(
            fast.reviews < slow.reviews || identity == "admin",
            "{identity}: {} vs {}",
            fast.reviews,
            slow.reviews
        );
    }
}

#[tokio::test]
async fn no_token_at_all_is_said_as_such_with_where_kn_mesh_looked() {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &sim.ca_pem).unwrap();
    let url = sim.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(["-o", "tree", "--server", &url])
            .arg("--certificate-authority")
            .arg(&ca_file)
            .env_remove("KNATIVE_EVENT_MESH_TOKEN")
            .env("KUBECONFIG", "/nonexistent")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("No token was given"), "{stderr}");
    assert!(
        stderr.contains("--token-file") && stderr.contains("KNATIVE_EVENT_MESH_TOKEN"),
        "{stderr}"
    );
    assert!(!stderr.contains("expired, revoked"), "{stderr}");
}

#[tokio::test]
async fn demo_then_auth_checks_the_demo() {
    let output = tokio::task::spawn_blocking(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(["--demo", "auth"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The demo's first identity, bound to one namespace: it lacks the cluster scope (exit 1).
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("system:serviceaccount:backstage:payments-only"),
        "{stdout}"
    );
}

/// `auth --for backend` is the gate for a token made with `rbac --for backend`: it passes, and
/// the same token fails `--for kn-mesh`, which also needs watch.
#[tokio::test(flavor = "multi_thread")]
async fn a_backend_token_passes_auth_for_the_backend() {
    let snapshot = kn_mesh::source::manifests::read_snapshot(&[demo_dir()], None)
        .unwrap()
        .snapshot;
    let options = least_privilege::Options {
        purpose: Purpose::Backend,
        service_account: "eventmesh-backend".into(),
        namespace: "backstage".into(),
        namespaces: Vec::new(),
        legacy_token_secret: false,
    };
    let manifests = least_privilege::manifests(&options, &snapshot).unwrap();
    let mut objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
    objects.extend(serde_saphyr::from_multiple::<serde_json::Value>(&manifests).unwrap());
    let sim = RunningSim::start(SimConfig {
        objects,
        ..Default::default()
    })
    .await
    .unwrap();
    let report = report(&sim, "eventmesh-backend").await;
    let backend = report.clone().only_for(&[Purpose::Backend]);
    assert_eq!(
        backend.verdict(),
        access::Verdict::Fit,
        "{:#?}",
        backend.fit
    );
    let kn_mesh = report.only_for(&[Purpose::KnMesh]);
    assert_eq!(kn_mesh.verdict(), access::Verdict::Missing);
    // The backend's role lists the mesh but never watches it, nor reads the flows, sinks,
    // policies and feature flags only kn-mesh shows.
    let component = |m: &String| {
        [
            "sequences.flows",
            "parallels.flows",
            "jobsinks.sinks",
            "integrationsinks.sinks",
            "eventtransforms.eventing",
            "kafkasinks.eventing",
            "requestreplies.eventing",
            "eventpolicies.eventing",
        ]
        .iter()
        .any(|resource| m.contains(&format!(" {resource}.knative.dev ")))
    };
    let missing = &kn_mesh.fit[0].missing;
    let flags = |m: &String| m.starts_with("get configmaps config-features in knative-eventing");
    assert!(
        missing
            .iter()
            .all(|m| m.starts_with("watch ") || component(m) || flags(m)),
        "{missing:#?}"
    );
    assert!(missing.iter().any(flags), "{missing:#?}");
    assert!(
        kn_mesh.fit[0]
            .missing
            .iter()
            .any(|m| m.starts_with("list sequences.flows.knative.dev"))
    );
}

/// A namespace-bound token is fit for kn-mesh in its namespace: the denied CRD list is a note
/// (kn-mesh falls back to the built-in kinds), not a missing permission. The backend, which
/// has no fallback and lists cluster-wide, is not served by it.
#[test]
fn a_namespaced_token_notes_the_crd_list_instead_of_failing() {
    let run = |purpose: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(["auth", "--demo-identity", "payments-only", "-n", "payments"])
            .args(["--for", purpose, "-o", "json"])
            .output()
            .unwrap()
    };
    let output = run("kn-mesh");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let fit = &report["fit"];
    assert_eq!(
        fit.as_array().unwrap().len(),
        1,
        "only kn-mesh's fit: {fit}"
    );
    assert_eq!(fit[0]["for"], "kn-mesh");
    assert_eq!(fit[0]["missing"], serde_json::json!([]));
    assert!(
        fit[0]["notes"][0]
            .as_str()
            .unwrap()
            .contains("built-in Knative"),
        "{fit}"
    );
    assert_eq!(run("backend").status.code(), Some(1));
    assert_eq!(run("both").status.code(), Some(1));
}

/// A ServiceAccount token minted for the `backstage` audience is rejected as a Kubernetes
/// token for another audience, said once, not as a Backstage user's token.
#[test]
fn a_rejected_backstage_audience_token_is_explained_once() {
    use base64::Engine;
    let encode = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let now = jiff::Timestamp::now().as_second();
    let token = format!(
        "{}.{}.c2ln",
        encode(serde_json::json!({"alg": "RS256"})),
        encode(serde_json::json!({
            "iss": "https://kubernetes.default.svc", "aud": ["backstage"], "iat": now, "exp": now + 86_400,
            "sub": "system:serviceaccount:backstage:reader",
            "kubernetes.io": {"namespace": "backstage", "serviceaccount": {"name": "reader", "uid": "u"}}
        }))
    );
    let rejected = FetchError::TokenRejected {
        endpoint: "https://api".into(),
        hint: String::new(),
    };
    let message = access::explain_rejection(rejected, Some(&token)).to_string();
    assert!(!message.contains("Backstage user"), "{message}");
    assert!(
        message.contains("The token is a bound ServiceAccount token (TokenRequest): a ServiceAccount token for another audience (backstage)"),
        "{message}"
    );
    assert_eq!(
        message.matches("another audience").count(),
        1,
        "said once: {message}"
    );
}

/// A wildcard rule a cluster-wide binding gives is listed once, not once per namespace, and
/// findings have their own mark in the TUI's outline, not the lock of a denial.
#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_wide_wildcard_is_one_line_and_findings_have_their_own_mark() {
    let sim = demo_sim().await;
    let report = report(&sim, "docs-reader").await;
    let wildcard = report
        .findings
        .iter()
        .find(|f| f.title.contains("wildcard"))
        .expect("docs-reader has get on */*");
    assert_eq!(wildcard.evidence.len(), 1, "{:#?}", wildcard.evidence);
    assert!(
        wildcard.evidence[0].starts_with("in every namespace reviewed"),
        "{:#?}",
        wildcard.evidence
    );
    let outline = kn_mesh::access::outline::outline(&report, 0);
    let findings = outline.iter().find(|n| n.text == "Findings").unwrap();
    use kn_mesh::mesh::views::NodeStatus;
    assert_eq!(findings.status, NodeStatus::Finding);
    assert!(
        findings
            .children
            .iter()
            .all(|c| c.status == NodeStatus::Finding)
    );
    assert_eq!(NodeStatus::Finding.glyph(), "⚑ ");
}

async fn fetch_as(sim: &RunningSim, token: &str) -> kn_mesh::mesh::Mesh {
    let client =
        kube::Client::try_from(sim.client_config_with_token(token).await.unwrap()).unwrap();
    let endpoint = Endpoint {
        server: sim.url.clone(),
        context: None,
        token: None,
        acting_as: None,
    };
    let snapshot = Fetcher::new(client, endpoint)
        .fetch(&Scope::default())
        .await
        .unwrap();
    kn_mesh::mesh::build(snapshot)
}

/// `rbac` grants what delivery authorization needs: the mesh role reads EventPolicies and the
/// feature flags, and `--for eventpolicy-reader` reads those alone.
#[tokio::test(flavor = "multi_thread")]
async fn the_generated_roles_read_eventpolicies_and_the_feature_flags() {
    let snapshot = kn_mesh::source::manifests::read_snapshot(&[demo_dir()], None)
        .unwrap()
        .snapshot;
    let options = |purpose, sa: &str| least_privilege::Options {
        purpose,
        service_account: sa.into(),
        namespace: "backstage".into(),
        namespaces: Vec::new(),
        legacy_token_secret: false,
    };
    let mut objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
    for (purpose, sa) in [
        (Purpose::KnMesh, "reader"),
        (Purpose::EventPolicyReader, "policy-reader"),
    ] {
        let manifests = least_privilege::manifests(&options(purpose, sa), &snapshot).unwrap();
        assert!(
            manifests.contains("resourceNames:\n  - config-features"),
            "{manifests}"
        );
        objects.extend(serde_saphyr::from_multiple::<serde_json::Value>(&manifests).unwrap());
    }
    let sim = RunningSim::start(SimConfig {
        objects,
        ..Default::default()
    })
    .await
    .unwrap();
    let reader = fetch_as(&sim, sim.token("reader").unwrap()).await;
    assert!(
        reader.completeness().is_whole(),
        "{:?}",
        reader.completeness()
    );
    assert_eq!(
        reader.features.as_ref().unwrap()["authentication-oidc"],
        "enabled"
    );
    let policies = fetch_as(&sim, sim.token("policy-reader").unwrap()).await;
    assert!(policies.features.is_some());
    let outcome = |plural: &str| {
        policies
            .access
            .iter()
            .find(|m| m.request.resource.plural == plural && m.request.name.is_none())
            .map(|m| m.access.clone())
    };
    assert_eq!(
        outcome("eventpolicies"),
        Some(kn_mesh::mesh::snapshot::Access::Allowed)
    );
    assert!(matches!(
        outcome("brokers"),
        Some(kn_mesh::mesh::snapshot::Access::Forbidden { .. })
    ));
    assert_eq!(
        policies.components.len(),
        2,
        "the two EventPolicies, nothing else"
    );
}

/// A token that may create or change EventPolicies may open delivery to any sender: a high
/// finding, with the rule that allows it.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_may_write_eventpolicies_is_a_high_finding() {
    let mut objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
    let grant: Vec<serde_json::Value> = serde_saphyr::from_multiple(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: policy-writer, namespace: payments}
rules: [{apiGroups: [eventing.knative.dev], resources: [eventpolicies], verbs: [create, update]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: policy-writer, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: policy-writer}
subjects: [{kind: ServiceAccount, name: payments-only, namespace: backstage}]
",
    )
    .unwrap();
    objects.extend(grant);
    let sim = RunningSim::start(SimConfig {
        objects,
        ..Default::default()
    })
    .await
    .unwrap();
    let report = report(&sim, "payments-only").await;
    let finding = report
        .findings
        .iter()
        .find(|f| f.title.contains("EventPolicies"))
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(finding.severity, Severity::High);
    assert!(
        finding
            .evidence
            .iter()
            .any(|e| e.contains("create eventpolicies.eventing.knative.dev in payments")),
        "{:?}",
        finding.evidence
    );
    assert_eq!(kn_mesh::exit::for_verdict(report.verdict()), 3);
}
