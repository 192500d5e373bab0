//! `c`: the kubeconfig's contexts, and on a cluster what else may be picked there: acting as
//! a ServiceAccount through impersonation, and back.

use super::state::{App, Popup};
use crate::source::spec::OriginLabel;

/// What `c` offers besides the contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextAction {
    ImpersonateServiceAccount,
    StopImpersonating,
}

impl ContextAction {
    pub fn label(self) -> &'static str {
        match self {
            ContextAction::ImpersonateServiceAccount => "impersonate a ServiceAccount…",
            ContextAction::StopImpersonating => "stop impersonating",
        }
    }
}

impl App {
    /// Opens the kubeconfig's contexts (`c`), the cursor on the one in use.
    pub fn open_contexts(&mut self) {
        if self.source.contexts.is_empty() && self.context_actions().is_empty() {
            self.notice = Some("no contexts here: they come from a kubeconfig".into());
            return;
        }
        let names = self.source.contexts.clone();
        let cursor = self
            .source
            .context
            .as_ref()
            .and_then(|c| names.iter().position(|n| n == c))
            .unwrap_or(0);
        self.popup = Some(Popup::Contexts { names, cursor });
    }

    /// Whom the connection acts as (`--as`, or picked in `c`), if anyone.
    pub fn acting_as(&self) -> Option<&str> {
        self.source
            .cluster
            .as_ref()
            .and_then(|c| c.fetcher.endpoint().acting_as.as_deref())
    }

    /// The entries `c` lists after the contexts: impersonation, on a cluster only (the demo's
    /// identities are its contexts already).
    pub fn context_actions(&self) -> Vec<ContextAction> {
        if !matches!(self.source.origin, Some(OriginLabel::Cluster { .. })) {
            return Vec::new();
        }
        let mut actions = vec![ContextAction::ImpersonateServiceAccount];
        if self.acting_as().is_some() {
            actions.push(ContextAction::StopImpersonating);
        }
        actions
    }

    /// The ServiceAccounts the source found, to act as one; a notice when there are none.
    pub fn open_service_accounts(&mut self, names: Vec<String>) {
        self.notice = None;
        if self.popup.is_some() {
            // Something else was opened meanwhile: it stays.
            self.notice = Some("the ServiceAccounts are listed: close this and press c".into());
            return;
        }
        if names.is_empty() {
            self.notice = Some("no ServiceAccounts you may read: nobody to impersonate".into());
            return;
        }
        let cursor = self
            .acting_as()
            .and_then(|user| names.iter().position(|n| n == user))
            .unwrap_or(0);
        self.popup = Some(Popup::ServiceAccounts { names, cursor });
    }
}
