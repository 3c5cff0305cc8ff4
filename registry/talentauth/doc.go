// Package talentauth owns special talent authorizations: an enterprise's
// yearly quota of places per level, issued and revoked by the talent
// office, and the talent recognitions the enterprise makes under it. A
// revocation releases the places it delegated (a designation.OnRevoke hook).
package talentauth
