//! Triggers and subscriptions: what each consumes. A trigger's filter is evaluated against
//! every event type flowing into its broker; a subscription consumes what its channel carries.

use super::{Inputs, Nodes, backend_type_filter, backstage_consumer, owner};
use crate::mesh::filter::{self, Outcome};
use crate::mesh::model::*;
use crate::mesh::objects::*;
use std::collections::{BTreeSet, HashMap};

/// Triggers: broker link, subscriber, filter verdicts, and the backend's consumedBy.
pub(super) fn trigger_nodes(inputs: &Inputs, inflow: &[Vec<usize>], nodes: &mut Nodes) {
    for trigger in inputs.triggers {
        let namespace = trigger.namespace();
        let key = trigger.key();
        let broker_key = trigger.broker_key();
        let broker = inputs
            .broker_index
            .get(&(broker_key.namespace.as_str(), broker_key.name.as_str()))
            .copied();
        let subscriber = inputs
            .resolver
            .link(Some(&trigger.spec.subscriber), namespace);
        let mut matches = Vec::new();
        if let Some(b) = broker {
            nodes.brokers[b].triggers.push(key.clone());
            let class = inputs.brokers[b].class();
            matches = evaluate(inputs, trigger, (&inflow[b], class), nodes);
            if let Some(id) = backstage_consumer(trigger, &subscriber) {
                backstage_consumed(inputs, trigger, b, id, nodes);
            }
        }
        let own = super::components::delivery(
            &inputs.resolver,
            trigger.spec.delivery.as_ref(),
            namespace,
            super::components::status_dls_uri(&trigger.status),
        );
        let delivery = super::components::inherit(
            own,
            broker.and_then(|b| nodes.brokers[b].delivery.as_ref()),
            OwnerLink {
                kind: "Broker".into(),
                key: broker_key.clone(),
            },
            trigger.spec.delivery.is_none(),
        );
        nodes.triggers.push(TriggerNode {
            delivery,
            broker_found: broker.is_some(),
            subscriber,
            event_types: matches,
            internal_subscriptions: Vec::new(),
            object: Trigger::default(),
        });
    }
}

/// The trigger's filter against each event type flowing into its broker: a match or an
/// unknown makes the trigger a consumer of the type.
fn evaluate(
    inputs: &Inputs,
    trigger: &Trigger,
    (inflow, class): (&[usize], &str),
    nodes: &mut Nodes,
) -> Vec<EventTypeMatch> {
    let mut matches = Vec::new();
    let mut seen = BTreeSet::new();
    for &index in inflow {
        if !seen.insert(index) {
            continue;
        }
        let event_type = &inputs.event_types[index];
        let outcome = filter::evaluate_type_on_broker(&trigger.spec, event_type, Some(class));
        if outcome.outcome == Outcome::NoMatch {
            continue;
        }
        nodes.event_types[index].consumers.push(Consumer {
            kind: ConsumerKind::Trigger,
            key: trigger.key(),
            outcome: outcome.clone(),
        });
        matches.push(EventTypeMatch {
            key: event_type.key(),
            outcome,
        });
    }
    matches.sort_by(|a, b| a.key.cmp(&b.key));
    matches
}

/// The backend's `consumedBy`: the trigger's Backstage id on the broker's referenced event
/// types that its type filter selects. Beside it, the exact one: the same event types, those
/// the trigger's real filter does not reject, whichever way it names its broker
/// (`--consumers exact`).
fn backstage_consumed(inputs: &Inputs, trigger: &Trigger, b: usize, id: &str, nodes: &mut Nodes) {
    let indexes: Vec<usize> = nodes.brokers[b]
        .backstage_event_types
        .iter()
        .filter_map(|key| inputs.event_type_at(key))
        .collect();
    let class = inputs.brokers[b].class();
    // The Go backend reads `spec.broker` only: a brokerRef trigger consumes nothing in its
    // answer, which stays byte for byte the backend's. Knative's semantics count it.
    let by_name = !trigger.spec.broker.is_empty();
    for i in indexes {
        let event_type = &inputs.event_types[i];
        let wanted = backend_type_filter(trigger);
        let node = &mut nodes.event_types[i];
        if by_name && wanted.is_none_or(|t| t == event_type.cloud_event_type()) {
            node.backstage_consumers.push(id.to_string());
        }
        let exact = filter::evaluate_type_on_broker(&trigger.spec, event_type, Some(class));
        if exact.outcome != Outcome::NoMatch {
            node.exact_consumers
                .get_or_insert_with(Vec::new)
                .push(id.to_string());
        }
    }
}

/// Subscriptions: their channel, their owner (a trigger, for a broker's internal ones), and
/// events the channel carries.
pub(super) fn subscription_nodes(inputs: &Inputs, nodes: &mut Nodes) {
    let trigger_index: HashMap<(&str, &str), usize> = inputs
        .triggers
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.namespace(), t.name()), i))
        .collect();
    for subscription in inputs.subscriptions {
        let namespace = subscription.namespace();
        let key = subscription.key();
        let channel_ref = &subscription.spec.channel;
        let channel_key = subscription.channel_key();
        let target = (
            channel_ref.group(),
            channel_ref.kind.as_str(),
            channel_key.namespace.as_str(),
            channel_key.name.as_str(),
        );
        let channel = inputs.channel_index.get(&target).copied();
        let owner_trigger = owner(&subscription.metadata, "Trigger")
            .and_then(|name| trigger_index.get(&(namespace, name)).map(|&t| (name, t)));
        if let Some((_, t)) = owner_trigger {
            nodes.triggers[t].internal_subscriptions.push(key.clone());
        } else if let Some(c) = channel {
            consume_channel(inputs, c, &key, nodes);
        }
        let resolver = &inputs.resolver;
        let own = super::components::delivery(
            resolver,
            subscription.spec.delivery.as_ref(),
            namespace,
            super::components::subscription_dls_uri(&subscription.status),
        );
        let delivery = super::components::inherit(
            own,
            channel.and_then(|c| nodes.channels[c].delivery.as_ref()),
            OwnerLink {
                kind: channel_ref.kind.clone(),
                key: channel_key.clone(),
            },
            false,
        );
        let owner = match owner_trigger {
            Some((name, _)) => Some(OwnerLink {
                kind: "Trigger".into(),
                key: ObjectKey::new(namespace, name),
            }),
            None => super::components::owner_link(&subscription.metadata, namespace),
        };
        nodes.subscriptions.push(SubscriptionNode {
            delivery,
            channel_found: channel.is_some(),
            owner,
            subscriber: resolver.link(subscription.spec.subscriber.as_ref(), namespace),
            reply: subscription
                .spec
                .reply
                .as_ref()
                .map(|reply| resolver.link(Some(reply), namespace)),
            object: Subscription::default(),
        });
    }
}

/// A subscription consumes every event type its channel carries, unfiltered.
fn consume_channel(inputs: &Inputs, c: usize, key: &ObjectKey, nodes: &mut Nodes) {
    nodes.channels[c].subscriptions.push(key.clone());
    for et_key in nodes.channels[c].event_types.clone() {
        if let Some(i) = inputs.event_type_at(&et_key) {
            nodes.event_types[i].consumers.push(Consumer {
                kind: ConsumerKind::Subscription,
                key: key.clone(),
                outcome: filter::FilterOutcome::matched(),
            });
        }
    }
}
