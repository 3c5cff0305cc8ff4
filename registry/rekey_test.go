package registry

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/ent"
	enttalent "github.com/hangzhou-ai/registry/ent/talent"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/keys"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/webhook"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// rekeyToday is the clock of these tests: 2026-06-15, noon in Hangzhou.
var rekeyToday = time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)

// Principals of these tests.
var (
	rekeyEconomy  = core.Principal{Subject: "issuer@bureau:economy-it", Org: "bureau:economy-it", Role: "issuer"}
	rekeyTalent   = core.Principal{Subject: "issuer@bureau:talent-office", Org: "bureau:talent-office", Role: "issuer"}
	rekeyOperator = core.Principal{Subject: "operator@park:west-lake", Org: "park:west-lake", Role: "operator"}
	rekeyAuditor  = core.Principal{Subject: "auditor", Org: "auditor", Role: "auditor"}
	rekeyCLI      = core.Principal{Subject: "registryd:test", Org: "admin", Role: "admin"}
)

func rekeySecrets(t testing.TB, seed byte) *seal.Secrets {
	t.Helper()
	s, err := seal.NewSecrets(bytes.Repeat([]byte{seed}, seal.SecretKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rekeyOpen opens url and a Registry on it with secrets; the client is
// closed when the test ends (closing it twice is harmless).
func rekeyOpen(t testing.TB, url string, secrets *seal.Secrets) (*Registry, *ent.Client) {
	t.Helper()
	reg, err := openMigrated(t, Config{DatabaseURL: url, Secrets: secrets, Clock: func() time.Time { return rekeyToday }})
	if err != nil {
		t.Fatal(err)
	}
	return reg, reg.DB
}

func rekeyIDNumber(t testing.TB, first17 string) string {
	t.Helper()
	id, err := ident.CompleteIDNumber(first17)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func rekeyCreditCode(t testing.TB, first17 string) string {
	t.Helper()
	code, err := ident.CompleteCreditCode(first17)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// readDBFiles returns the bytes of an SQLite database file and of its
// -wal and -shm files, those that exist.
func readDBFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(path+suffix)] = b
	}
	return out
}

// copyDBFiles copies the database files into a new directory and reads the
// copies back, as someone walking off with the files would.
func copyDBFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	for name, b := range readDBFiles(t, path) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return readDBFiles(t, filepath.Join(dir, filepath.Base(path)))
}

// TestNoIdentityNumberInDatabaseFile registers talents (directly and as
// competition winners) and a bearer token on an SQLite file, then copies
// the files, open and after closing, and finds none of the numbers or the
// token in their bytes, though it finds the names stored beside them.
func TestNoIdentityNumberInDatabaseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	reg, client := rekeyOpen(t, "sqlite:"+path, rekeySecrets(t, 0x5a))
	ctx := context.Background()
	asTalent, asEconomy := core.WithPrincipal(ctx, rekeyTalent), core.WithPrincipal(ctx, rekeyEconomy)

	idNumbers := []string{
		"11010519491231002X", // the standard's example
		rekeyIDNumber(t, "33010619900101123"),
		rekeyIDNumber(t, "33010219851120004"),
	}
	passports := []struct{ number, nationality string }{{"E12345678", "US"}, {"P998877665", "DE"}}
	winnerID, winnerPassport := rekeyIDNumber(t, "33010819970505371"), "K55667788"
	names := []string{"陈思远", "王一", "李二", "Jane Roe", "Max Mustermann", "周明", "Ana Silva"}

	for i, id := range idNumbers {
		if _, err := reg.Talents.RegisterTalent(asTalent, talent.NewTalent{Name: names[i], IDNumber: id}); err != nil {
			t.Fatalf("register %d: %v", i, err)
		}
	}
	for i, p := range passports {
		if _, err := reg.Talents.RegisterTalent(asTalent, talent.NewTalent{Name: names[3+i], PassportNumber: p.number, Nationality: p.nationality}); err != nil {
			t.Fatalf("register passport %d: %v", i, err)
		}
	}
	comp, err := reg.Competitions.RegisterCompetition(asEconomy, competition.NewCompetition{Name: "杭州人工智能创新大赛", Organiser: "杭州市经信局", Year: 2026, Tier: "municipal",
		PrizeLevels: []competition.PrizeLevel{{Prize: "一等奖", Level: "C"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Competitions.RecordAwards(asEconomy, comp.ID, []competition.AwardInput{
		{Name: names[5], IDNumber: winnerID, Prize: "一等奖"},
		{Name: names[6], PassportNumber: winnerPassport, Nationality: "BR", Prize: "一等奖"},
	}); err != nil {
		t.Fatal(err)
	}
	token, _, err := reg.Access.IssueToken(ctx, rekeyCLI, access.NewToken{Subject: "王小明", Org: "bureau:economy-it", Role: "issuer", TTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Access.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}

	secrets := map[string]string{"token": token, "token secret": strings.TrimPrefix(token, access.TokenPrefix)}
	for _, id := range append(idNumbers, winnerID) {
		secrets["identity number "+id[:6]] = id
		secrets["identity number prefix "+id[:6]] = id[:17]
	}
	for _, p := range append([]string{winnerPassport}, passports[0].number, passports[1].number) {
		secrets["passport "+p[:2]] = p
	}
	check := func(when string, files map[string][]byte) {
		t.Helper()
		if len(files) == 0 {
			t.Fatalf("%s: no database files", when)
		}
		for name, b := range files {
			for what, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %s holds the clear %s", when, name, what)
				}
			}
		}
	}
	check("while open", copyDBFiles(t, path))
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	closed := copyDBFiles(t, path)
	check("after closing", closed)
	// The scan reads real data: every name is stored in clear beside the
	// encrypted numbers.
	var all []byte
	for _, b := range closed {
		all = append(all, b...)
	}
	for _, n := range names {
		if !bytes.Contains(all, []byte(n)) {
			t.Errorf("name %q is not in the copied files; the scan proves nothing", n)
		}
	}
}

// rekeyFixture is a registry with talents, a park whose tenant is eligible
// for a benefit, and attestations signed by two signing keys.
type rekeyFixture struct {
	url          string
	talentIDs    map[string]string // identity or passport number -> talent id
	masked       map[string]string // talent id -> masked number
	attestations []string
	tenant       string
}

func newRekeyFixture(t *testing.T, reg *Registry, url string) *rekeyFixture {
	t.Helper()
	ctx := context.Background()
	f := &rekeyFixture{url: url, talentIDs: map[string]string{}, masked: map[string]string{}}
	asTalent, asEconomy, asOperator := core.WithPrincipal(ctx, rekeyTalent), core.WithPrincipal(ctx, rekeyEconomy), core.WithPrincipal(ctx, rekeyOperator)
	for i, id := range []string{rekeyIDNumber(t, "33010619900101123"), rekeyIDNumber(t, "11010519880808001")} {
		tal, err := reg.Talents.RegisterTalent(asTalent, talent.NewTalent{Name: []string{"张三", "李四"}[i], IDNumber: id})
		if err != nil {
			t.Fatal(err)
		}
		f.talentIDs[id], f.masked[tal.ID] = tal.ID, tal.IDNumberMasked
	}
	tal, err := reg.Talents.RegisterTalent(asTalent, talent.NewTalent{Name: "Jane Roe", PassportNumber: "E12345678", Nationality: "US"})
	if err != nil {
		t.Fatal(err)
	}
	f.talentIDs["US:E12345678"], f.masked[tal.ID] = tal.ID, tal.IDNumberMasked

	if _, err := reg.Parks.RegisterPark(asEconomy, park.NewPark{Code: "west-lake", Name: "西湖人工智能产业园", District: "西湖区"}); err != nil {
		t.Fatal(err)
	}
	f.tenant = rekeyCreditCode(t, "91330106MA27XK0A1")
	if _, err := reg.Enterprises.RegisterEnterprise(asEconomy, enterprise.NewEnterprise{CreditCode: f.tenant, Name: "杭州云栖智算科技有限公司", RegisteredOn: "2024-05-20"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Designations.GrantDesignation(asEconomy, designation.Grant{Type: "little-giant", EnterpriseCreditCode: f.tenant, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Parks.AdmitTenant(asOperator, park.NewTenancy{ParkCode: "west-lake", EnterpriseCreditCode: f.tenant, StartDate: "2026-01-01", FloorAreaM2: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Parks.SetEligibilityRule(asOperator, park.EligibilityRule{ParkCode: "west-lake", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant"}}); err != nil {
		t.Fatal(err)
	}
	f.attestations = append(f.attestations, f.attest(t, reg))
	if _, err := reg.Keys.RotateSigningKey(ctx); err != nil {
		t.Fatal(err)
	}
	f.attestations = append(f.attestations, f.attest(t, reg))
	return f
}

// attest asks for the tenant's eligibility and returns the attestation.
func (f *rekeyFixture) attest(t *testing.T, reg *Registry) string {
	t.Helper()
	ans, err := reg.Parks.VerifyTenantEligibility(core.WithPrincipal(context.Background(), rekeyOperator),
		park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: f.tenant, Benefit: "rent-reduction", AsOf: "2026-06-15"})
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Eligible || ans.Attestation == "" {
		t.Fatalf("not eligible: %+v", ans)
	}
	return ans.Attestation
}

// talentRows returns every talent row, by id.
func talentRows(t *testing.T, client *ent.Client) map[string]*ent.Talent {
	t.Helper()
	rows, err := client.Talent.Query().Order(ent.Asc(enttalent.FieldID)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ent.Talent{}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out
}

// TestRotateSecretKey rotates the secret key and checks that the new key
// reads and finds everything, the old key neither, and that attestations
// signed before still verify while new ones can be signed.
func TestRotateSecretKey(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		ctx := context.Background()
		oldKey, newKey := rekeySecrets(t, 0x11), rekeySecrets(t, 0x22)
		reg, client := rekeyOpen(t, db.URL, oldKey)
		f := newRekeyFixture(t, reg, db.URL)
		before := talentRows(t, client)
		viewer := core.WithPrincipal(ctx, core.Principal{Subject: "viewer-test", Org: "bureau:economy-it", Role: "viewer"})
		sub, secret, err := reg.CreateSubscription(viewer, webhook.NewSubscription{URL: "https://hooks.example.com/rekey"})
		if err != nil {
			t.Fatal(err)
		}

		res, err := reg.RotateSecretKey(ctx, rekeyCLI, newKey)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("webhook secret re-sealed", func(t *testing.T) {
			row, err := client.WebhookSubscription.Get(ctx, sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := oldKey.Open(row.SecretSealed, webhook.SecretAAD(sub.ID)); err == nil {
				t.Error("the old key still opens the webhook secret")
			}
			if got, err := newKey.Open(row.SecretSealed, webhook.SecretAAD(sub.ID)); err != nil || got != secret {
				t.Errorf("the new key opens %q, %v; want the secret shown at subscription", got, err)
			}
		})
		if res.Talents != 3 || res.SigningKeys != 2 || res.WebhookSecrets != 1 || res.Records() != 6 || res.From != oldKey.Fingerprint() || res.To != newKey.Fingerprint() {
			t.Fatalf("rotation = %+v, want 3 talents, 2 signing keys and 1 webhook secret from %s to %s", res, oldKey.Fingerprint(), newKey.Fingerprint())
		}

		t.Run("stored under the new key only", func(t *testing.T) {
			after := talentRows(t, client)
			for number, id := range f.talentIDs {
				row := after[id]
				if bytes.Equal(row.DocumentCipher, before[id].DocumentCipher) || row.DocumentHash == before[id].DocumentHash {
					t.Errorf("talent %s: ciphertext or lookup hash unchanged", id)
				}
				if _, err := oldKey.Open(row.DocumentCipher, "talent:"+row.DocumentKind); err == nil {
					t.Errorf("talent %s: the old key still decrypts it", id)
				}
				got, err := newKey.Open(row.DocumentCipher, "talent:"+row.DocumentKind)
				if want := number[strings.LastIndexByte(number, ':')+1:]; err != nil || got != want {
					t.Errorf("talent %s: the new key decrypts %q, %v; want %q", id, got, err, want)
				}
			}
		})

		t.Run("one audit event without identity numbers", func(t *testing.T) {
			events, _, err := reg.Trail.ListAuditEvents(core.WithPrincipal(ctx, rekeyAuditor), audit.AuditFilter{Entity: "secret-key", PageSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Fatalf("%d secret-key events, want 1: %+v", len(events), events)
			}
			e := events[0]
			if e.Action != "secret-key.rotate" || e.Subject != rekeyCLI.Subject || e.EntityID != newKey.Fingerprint() ||
				!strings.Contains(e.Before, oldKey.Fingerprint()) || !strings.Contains(e.After, `"talents":3`) {
				t.Errorf("event = %+v", e)
			}
			for number := range f.talentIDs {
				number = number[strings.LastIndexByte(number, ':')+1:]
				if strings.Contains(e.Before+e.After+e.Reason, number) {
					t.Errorf("the audit event holds identity number %s", number)
				}
			}
			rep, err := reg.Trail.VerifyAuditChain(core.WithPrincipal(ctx, rekeyAuditor))
			if err != nil || !rep.OK {
				t.Fatalf("audit chain: %+v %v", rep, err)
			}
		})

		// A registry opened afresh with the new key, and the one that
		// rotated (which now uses it), both work.
		fresh, _ := rekeyOpen(t, db.URL, newKey)
		for name, r := range map[string]*Registry{"fresh": fresh, "rotated": reg} {
			t.Run("new key, "+name+" registry", func(t *testing.T) {
				asTalent := core.WithPrincipal(ctx, rekeyTalent)
				for id, masked := range f.masked {
					got, err := r.Talents.GetTalent(asTalent, id)
					if err != nil || got.IDNumberMasked != masked {
						t.Errorf("GetTalent(%s) = %q, %v; want %q", id, got.IDNumberMasked, err, masked)
					}
				}
				for number := range f.talentIDs {
					in := talent.NewTalent{Name: "重复", IDNumber: number}
					if nat, passport, ok := strings.Cut(number, ":"); ok {
						in = talent.NewTalent{Name: "Duplicate", PassportNumber: passport, Nationality: nat}
					}
					if _, err := r.Talents.RegisterTalent(asTalent, in); core.KindOf(err) != core.KindAlreadyExists {
						t.Errorf("registering %s again: %v, want already exists", number[:4], err)
					}
				}
				for i, a := range append(f.attestations, f.attest(t, r)) {
					check, err := r.Parks.VerifyAttestation(ctx, a)
					if err != nil || !check.Valid {
						t.Errorf("attestation %d: %+v %v", i, check, err)
					}
				}
			})
		}

		t.Run("old key refused at start", func(t *testing.T) {
			// The rotation replaced the database's key check value: a
			// registry with the old key does not start, so it can neither
			// sign with keys it cannot open nor register a known identity
			// number again under a lookup hash of the old key.
			sdb, err := store.Open(db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer sdb.Close()
			client := sdb.Client
			rows := talentRows(t, client)
			_, err = Open(ctx, Config{DatabaseURL: db.URL, Secrets: oldKey, Clock: func() time.Time { return rekeyToday }})
			if !errors.Is(err, keys.ErrSecretKeyMismatch) || !strings.Contains(err.Error(), newKey.Fingerprint()) {
				t.Fatalf("New with the old key: %v, want ErrSecretKeyMismatch naming %s", err, newKey.Fingerprint())
			}
			// Rotating from a key that does not open the records (a registry
			// that somehow holds one) fails and changes nothing, the key
			// check value included.
			stale := assemble(&core.Core{DB: reg.DB, Authz: reg.Authz, Secrets: oldKey, Clock: reg.Clock, Log: reg.Log}, nil)
			if _, err := stale.RotateSecretKey(ctx, rekeyCLI, rekeySecrets(t, 0x33)); err == nil {
				t.Error("rotating with a key that does not open the records succeeded")
			}
			for id, row := range talentRows(t, client) {
				if !bytes.Equal(row.DocumentCipher, rows[id].DocumentCipher) || row.DocumentHash != rows[id].DocumentHash {
					t.Errorf("talent %s changed by a refused start or a failed rotation", id)
				}
			}
			if again, err := Open(ctx, Config{DatabaseURL: db.URL, Secrets: newKey, Clock: func() time.Time { return rekeyToday }}); err != nil {
				t.Errorf("the new key after a failed rotation: %v", err)
			} else {
				again.Close()
			}
		})
	})
}
