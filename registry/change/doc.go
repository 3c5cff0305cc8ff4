// Package change owns the registry's change feed: every committed change to
// a business record (enterprise, talent, designation, competition, award,
// park, tenancy, eligibility rule), read from the audit trail in its
// sequence order, which is commit order, and shown to a principal only as
// far as it may read the record through the programmes' Get and List
// calls. It owns the cursor (the audit sequence), the scope rule
// (ChangesFor), the process's one notifier of new changes (Notify) and its
// one hub that fans new changes out to live watchers (WatchChanges). It
// adds no table: the audit events carry the changed entity as it was left
// and the organisation that owns it.
package change
