// Package park owns AI parks: their registration, tenancies, the
// eligibility rules of their benefits, and answering whether a tenant is
// eligible on a date with a signed attestation anyone can verify later. A
// park operator learns nothing about enterprises that are not its tenants.
package park
