//! `build(Snapshot) -> Mesh`: sorts the objects, links them, evaluates trigger filters and
//! computes the eventmesh backend's derived fields. Pure and single-pass over each kind, with
//! hash lookups, so it stays linear in the size of the cluster.

use super::filter::{self, Outcome};
use super::model::*;
use super::objects::*;
use super::resolve::Resolver;
pub use super::resolve::guess_resource;
use super::snapshot::Snapshot;
use std::collections::{BTreeSet, HashMap};

use super::resolve::RefKey;

// Long: the relation passes in the order they depend on each other; to become named passes (issue 11).
#[allow(clippy::too_many_lines)]
pub fn build(snapshot: Snapshot) -> Mesh {
    let Snapshot {
        mut brokers,
        mut triggers,
        mut event_types,
        mut channels,
        mut subscriptions,
        mut sources,
        crds,
        subscribers,
        namespaces,
        access,
        mut notes,
    } = snapshot;

    brokers.sort_by(by_key);
    triggers.sort_by(by_key);
    event_types.sort_by(by_key);
    subscriptions.sort_by(by_key);

    // The backend lists channels and sources per CRD, in CRD name order.
    let crd_by_kind: HashMap<(&str, &str), &Crd> = crds
        .iter()
        .map(|crd| ((crd.spec.group.as_str(), crd.spec.names.kind.as_str()), crd))
        .collect();
    let crd_rank = |group: &str, kind: &str| {
        crd_by_kind
            .get(&(group, kind))
            .map(|crd| crd.name().to_string())
            .unwrap_or_else(|| format!("~{kind}.{group}"))
    };
    channels.sort_by_cached_key(|c| {
        (
            crd_rank(c.group(), &c.kind),
            c.namespace().to_string(),
            c.name().to_string(),
        )
    });
    sources.sort_by_cached_key(|s| {
        (
            crd_rank(s.group(), &s.kind),
            s.namespace().to_string(),
            s.name().to_string(),
        )
    });

    let resolver = Resolver::new(&brokers, &channels, &subscribers, &access);

    let mut mesh = Mesh {
        reduced: false,
        namespaces: Vec::new(),
        brokers: Vec::with_capacity(brokers.len()),
        triggers: Vec::with_capacity(triggers.len()),
        event_types: Vec::with_capacity(event_types.len()),
        channels: Vec::with_capacity(channels.len()),
        subscriptions: Vec::with_capacity(subscriptions.len()),
        sources: Vec::with_capacity(sources.len()),
        access: Vec::new(),
        notes: Vec::new(),
    };

    let broker_index: HashMap<(&str, &str), usize> = brokers
        .iter()
        .enumerate()
        .map(|(i, b)| ((b.namespace(), b.name()), i))
        .collect();
    let channel_index: HashMap<RefKey, usize> = channels
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.group(), c.kind.as_str(), c.namespace(), c.name()), i))
        .collect();
    let source_index: HashMap<RefKey, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.group(), s.kind.as_str(), s.namespace(), s.name()), i))
        .collect();

    // Sources first: event types need to know which types each source declares.
    let mut source_nodes: Vec<SourceNode> = Vec::with_capacity(sources.len());
    let mut types_by_source: Vec<BTreeSet<String>> = Vec::with_capacity(sources.len());
    for source in &sources {
        let crd = crd_by_kind.get(&(source.group(), source.kind.as_str()));
        let provided_types = match crd.map(|crd| crd.registry_event_types()) {
            Some(Ok(entries)) => entries.into_iter().map(|e| e.event_type).collect(),
            Some(Err(message)) => {
                if !notes.contains(&message) {
                    notes.push(message);
                }
                Vec::new()
            }
            None => Vec::new(),
        };
        let mut emitted: BTreeSet<String> = provided_types.iter().cloned().collect();
        emitted.extend(
            source
                .status
                .ce_attributes
                .iter()
                .filter_map(|a| a.event_type.clone()),
        );
        types_by_source.push(emitted);
        let namespace = source.namespace();
        source_nodes.push(SourceNode {
            group: crd
                .map(|crd| crd.spec.group.clone())
                .unwrap_or_else(|| source.group().to_string()),
            sink: resolver.link(source.spec.sink.as_ref(), namespace),
            backend_sink: backend_sink(source),
            provided_types,
            event_types: Vec::new(),
            object: Source::default(),
        });
    }

    let mut broker_nodes: Vec<BrokerNode> = brokers
        .iter()
        .map(|_| BrokerNode {
            object: Broker::default(),
            triggers: Vec::new(),
            event_types: Vec::new(),
            internal_channels: Vec::new(),
        })
        .collect();
    let mut channel_nodes: Vec<ChannelNode> = channels
        .iter()
        .map(|channel| ChannelNode {
            group: channel.group().to_string(),
            owner: owner(&channel.metadata, "Broker").map(|name| OwnerLink {
                kind: "Broker".into(),
                key: ObjectKey::new(channel.namespace(), name),
            }),
            subscriptions: Vec::new(),
            event_types: Vec::new(),
            object: Channel::default(),
        })
        .collect();

    // Only a source's own namespace can produce into an event type.
    let mut sources_by_namespace: HashMap<&str, Vec<usize>> = HashMap::new();
    for (s, source) in sources.iter().enumerate() {
        sources_by_namespace
            .entry(source.namespace())
            .or_default()
            .push(s);
    }

    // Event types and their producers.
    let mut et_nodes: Vec<EventTypeNode> = Vec::with_capacity(event_types.len());
    // Event types flowing into each broker, whichever way they get there.
    let mut inflow: Vec<Vec<usize>> = vec![Vec::new(); brokers.len()];
    let mut ets_by_type: HashMap<&str, Vec<usize>> = HashMap::new();
    for (et_index, et) in event_types.iter().enumerate() {
        let namespace = et.namespace();
        let key = et.key();
        ets_by_type
            .entry(et.cloud_event_type())
            .or_default()
            .push(et_index);
        let mut producers = Vec::new();
        if let Some(reference) = &et.spec.reference {
            let group = reference.group();
            let ref_namespace = reference.namespace_or(namespace);
            let target = (
                group,
                reference.kind.as_str(),
                ref_namespace,
                reference.name.as_str(),
            );
            let mut found = false;
            if group == "eventing.knative.dev" && reference.kind == "Broker" {
                if let Some(&b) = broker_index.get(&(ref_namespace, reference.name.as_str())) {
                    found = true;
                    inflow[b].push(et_index);
                    // The backend pins the reference to the event type's own namespace.
                    if ref_namespace == namespace {
                        broker_nodes[b].event_types.push(EventTypeLink {
                            key: key.clone(),
                            via: Via::Reference,
                        });
                    }
                }
            } else if let Some(&c) = channel_index.get(&target) {
                found = true;
                channel_nodes[c].event_types.push(key.clone());
            } else if source_index.contains_key(&target) {
                found = true;
            }
            producers.push(Producer {
                group: group.to_string(),
                kind: reference.kind.clone(),
                key: ObjectKey::new(ref_namespace, &reference.name),
                via: Via::Reference,
                found,
            });
        }
        if let Some(broker) = et.spec.broker.as_deref().filter(|b| !b.is_empty()) {
            let already = producers.iter().any(|p| {
                p.kind == "Broker" && p.key.name == broker && p.key.namespace == namespace
            });
            if !already {
                let b = broker_index.get(&(namespace, broker)).copied();
                if let Some(b) = b {
                    inflow[b].push(et_index);
                    broker_nodes[b].event_types.push(EventTypeLink {
                        key: key.clone(),
                        via: Via::BrokerField,
                    });
                }
                producers.push(Producer {
                    group: "eventing.knative.dev".into(),
                    kind: "Broker".into(),
                    key: ObjectKey::new(namespace, broker),
                    via: Via::BrokerField,
                    found: b.is_some(),
                });
            }
        }
        // Sources in the same namespace that declare or report this type. (The backend's
        // `providedEventTypes` also crosses namespaces; that is kept separately below.)
        for &s in sources_by_namespace.get(namespace).into_iter().flatten() {
            let source = &sources[s];
            if !types_by_source[s].contains(et.cloud_event_type())
                || producers
                    .iter()
                    .any(|p| p.kind == source.kind && p.key.name == source.name())
            {
                continue;
            }
            let via = if source_nodes[s]
                .provided_types
                .iter()
                .any(|t| t == et.cloud_event_type())
            {
                Via::SourceRegistry
            } else {
                Via::SourceStatus
            };
            producers.push(Producer {
                group: source_nodes[s].group.clone(),
                kind: source.kind.clone(),
                key: source.key(),
                via,
                found: true,
            });
            // A source whose sink is a broker feeds the type into that broker.
            if let Some(b) = sink_broker(source, &broker_index) {
                inflow[b].push(et_index);
            }
        }
        et_nodes.push(EventTypeNode {
            object: EventType::default(),
            producers,
            consumers: Vec::new(),
            backstage_consumers: Vec::new(),
        });
    }

    // The backend's source → event types relation: every event type, in any namespace, whose
    // type the source's CRD declares.
    for node in &mut source_nodes {
        let mut matched: Vec<usize> = node
            .provided_types
            .iter()
            .filter_map(|t| ets_by_type.get(t.as_str()))
            .flatten()
            .copied()
            .collect();
        matched.sort_unstable();
        matched.dedup();
        node.event_types = matched.iter().map(|&i| event_types[i].key()).collect();
    }

    // Triggers: broker link, subscriber, filter verdicts, and the backend's consumedBy.
    for trigger in &triggers {
        let namespace = trigger.namespace();
        let key = trigger.key();
        let broker = broker_index
            .get(&(namespace, trigger.spec.broker.as_str()))
            .copied();
        let subscriber = resolver.link(Some(&trigger.spec.subscriber), namespace);
        let mut matches = Vec::new();
        if let Some(b) = broker {
            broker_nodes[b].triggers.push(key.clone());
            let mut seen = BTreeSet::new();
            for &et_index in &inflow[b] {
                if !seen.insert(et_index) {
                    continue;
                }
                let outcome = filter::evaluate(&trigger.spec, &event_types[et_index]);
                if outcome.outcome == Outcome::NoMatch {
                    continue;
                }
                et_nodes[et_index].consumers.push(Consumer {
                    kind: ConsumerKind::Trigger,
                    key: key.clone(),
                    outcome: outcome.clone(),
                });
                matches.push(EventTypeMatch {
                    key: event_types[et_index].key(),
                    outcome,
                });
            }
            matches.sort_by(|a, b| a.key.cmp(&b.key));
            if let Some(id) = backstage_consumer(trigger, &subscriber) {
                for link in broker_nodes[b]
                    .event_types
                    .iter()
                    .filter(|l| l.via == Via::Reference)
                {
                    let Ok(i) = event_types.binary_search_by(|et| {
                        (et.namespace(), et.name())
                            .cmp(&(link.key.namespace.as_str(), link.key.name.as_str()))
                    }) else {
                        continue;
                    };
                    if backend_type_filter(trigger)
                        .is_none_or(|t| t == event_types[i].cloud_event_type())
                    {
                        et_nodes[i].backstage_consumers.push(id.to_string());
                    }
                }
            }
        }
        mesh.triggers.push(TriggerNode {
            broker_found: broker.is_some(),
            subscriber,
            event_types: matches,
            internal_subscriptions: Vec::new(),
            object: Trigger::default(),
        });
    }

    // Subscriptions: their channel, their owner (a trigger, for a broker's internal ones), and
    // events the channel carries.
    let trigger_index: HashMap<(&str, &str), usize> = triggers
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.namespace(), t.name()), i))
        .collect();
    for subscription in &subscriptions {
        let namespace = subscription.namespace();
        let key = subscription.key();
        let channel_ref = &subscription.spec.channel;
        let channel = channel_index
            .get(&(
                channel_ref.group(),
                channel_ref.kind.as_str(),
                namespace,
                channel_ref.name.as_str(),
            ))
            .copied();
        let owner_trigger = owner(&subscription.metadata, "Trigger")
            .and_then(|name| trigger_index.get(&(namespace, name)).map(|&t| (name, t)));
        if let Some((_, t)) = owner_trigger {
            mesh.triggers[t].internal_subscriptions.push(key.clone());
        } else if let Some(c) = channel {
            channel_nodes[c].subscriptions.push(key.clone());
            for et_key in channel_nodes[c].event_types.clone() {
                if let Ok(i) = event_types.binary_search_by(|et| {
                    (et.namespace(), et.name())
                        .cmp(&(et_key.namespace.as_str(), et_key.name.as_str()))
                }) {
                    et_nodes[i].consumers.push(Consumer {
                        kind: ConsumerKind::Subscription,
                        key: key.clone(),
                        outcome: filter::FilterOutcome {
                            outcome: Outcome::Match,
                            reason: String::new(),
                        },
                    });
                }
            }
        }
        mesh.subscriptions.push(SubscriptionNode {
            channel_found: channel.is_some(),
            owner: owner_trigger.map(|(name, _)| OwnerLink {
                kind: "Trigger".into(),
                key: ObjectKey::new(namespace, name),
            }),
            subscriber: resolver.link(subscription.spec.subscriber.as_ref(), namespace),
            reply: subscription
                .spec
                .reply
                .as_ref()
                .map(|reply| resolver.link(Some(reply), namespace)),
            object: Subscription::default(),
        });
    }
    for (c, channel) in channels.iter().enumerate() {
        if let Some(owner) = &channel_nodes[c].owner
            && let Some(&b) =
                broker_index.get(&(owner.key.namespace.as_str(), owner.key.name.as_str()))
        {
            broker_nodes[b].internal_channels.push(channel.key());
        }
    }

    // Namespaces: every one anything was seen in, so that empty or denied ones still show.
    let mut all_namespaces: BTreeSet<String> = namespaces.into_iter().collect();
    let object_namespaces = brokers
        .iter()
        .map(|o| o.namespace())
        .chain(triggers.iter().map(|o| o.namespace()))
        .chain(event_types.iter().map(|o| o.namespace()))
        .chain(channels.iter().map(|o| o.namespace()))
        .chain(subscriptions.iter().map(|o| o.namespace()))
        .chain(sources.iter().map(|o| o.namespace()))
        .chain(access.iter().filter_map(|m| m.request.namespace()));
    all_namespaces.extend(
        object_namespaces
            .filter(|n| !n.is_empty())
            .map(str::to_string),
    );
    drop(resolver);

    // Move the objects into their nodes now that every borrow of them has ended.
    for (node, object) in broker_nodes.iter_mut().zip(brokers) {
        node.object = object;
    }
    for (node, object) in mesh.triggers.iter_mut().zip(triggers) {
        node.object = object;
    }
    for (node, object) in et_nodes.iter_mut().zip(event_types) {
        node.object = object;
    }
    for (node, object) in channel_nodes.iter_mut().zip(channels) {
        node.object = object;
    }
    for (node, object) in mesh.subscriptions.iter_mut().zip(subscriptions) {
        node.object = object;
    }
    for (node, object) in source_nodes.iter_mut().zip(sources) {
        node.object = object;
    }
    mesh.brokers = broker_nodes;
    mesh.event_types = et_nodes;
    mesh.channels = channel_nodes;
    mesh.sources = source_nodes;
    mesh.namespaces = all_namespaces.into_iter().collect();
    mesh.access = access;
    for marker in &mut mesh.access {
        marker.role = super::catalog::role_of(&marker.request, &crds);
    }
    mesh.notes = notes;
    mesh
}

fn by_key<S, T>(a: &Object<S, T>, b: &Object<S, T>) -> std::cmp::Ordering {
    (a.namespace(), a.name()).cmp(&(b.namespace(), b.name()))
}

/// The name of the owner of the given kind, from ownerReferences.
fn owner<'a>(meta: &'a ObjectMeta, kind: &str) -> Option<&'a str> {
    meta.owner_references
        .iter()
        .find(|o| o.kind == kind)
        .map(|o| o.name.as_str())
}

fn sink_broker(source: &Source, broker_index: &HashMap<(&str, &str), usize>) -> Option<usize> {
    let reference = source.spec.sink.as_ref()?.reference.as_ref()?;
    if reference.kind != "Broker" || reference.group() != "eventing.knative.dev" {
        return None;
    }
    broker_index
        .get(&(
            reference.namespace_or(source.namespace()),
            reference.name.as_str(),
        ))
        .copied()
}

/// The sink exactly as the backend reports it: a ref with apiVersion, kind and name, placed in
/// the source's own namespace; nothing for a URI or an incomplete ref.
fn backend_sink(source: &Source) -> Option<GroupKindRef> {
    let reference = source.spec.sink.as_ref()?.reference.as_ref()?;
    if reference.api_version.is_empty() || reference.kind.is_empty() || reference.name.is_empty() {
        return None;
    }
    Some(GroupKindRef {
        group: group_of(&reference.api_version).to_string(),
        kind: reference.kind.clone(),
        namespace: source.namespace().to_string(),
        name: reference.name.clone(),
    })
}

/// The Backstage id a trigger contributes to `consumedBy`, under the backend's rules: a
/// subscriber ref whose object exists and carries `backstage.io/kubernetes-id`.
fn backstage_consumer<'a>(trigger: &Trigger, subscriber: &'a SubscriberLink) -> Option<&'a str> {
    trigger.spec.subscriber.reference.as_ref()?;
    match &subscriber.resolution {
        Resolution::Found { backstage_id } => backstage_id.as_deref(),
        _ => None,
    }
}

/// The backend's only filter rule: a non-empty `filter.attributes.type` selects event types of
/// that type; anything else selects all. The newer `filters` are ignored.
fn backend_type_filter(trigger: &Trigger) -> Option<&str> {
    trigger
        .spec
        .filter
        .as_ref()?
        .attributes
        .as_ref()?
        .get("type")
        .map(String::as_str)
        .filter(|t| !t.is_empty())
}
