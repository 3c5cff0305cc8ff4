package registry

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestReferenceDataStoredSimplified starts a registry on a database whose
// reference rows carry Traditional names, as one written by an earlier
// version does, and checks that the names are Simplified afterwards.
func TestReferenceDataStoredSimplified(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		open := func() {
			secrets, err := seal.NewSecrets([]byte("0123456789abcdef0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			reg, err := openMigrated(t, Config{DatabaseURL: db.URL, Secrets: secrets})
			if err != nil {
				t.Fatal(err)
			}
			reg.Close()
		}
		open()
		conn := storetest.OpenSQL(t, db)
		for q, name := range map[string]string{
			`UPDATE bureaus SET name_zh = ? WHERE id = 'economy-it'`:             core.ToTraditional("市经信局"),
			`UPDATE designation_types SET name_zh = ? WHERE id = 'little-giant'`: core.ToTraditional(`国家专精特新"小巨人"企业`),
		} {
			if len(core.TraditionalOnly(name)) == 0 {
				t.Fatalf("%q has no Traditional characters", name)
			}
			if _, err := conn.Exec(storetest.Rebind(db, q), name); err != nil {
				t.Fatal(err)
			}
		}
		open()
		for _, table := range []string{"bureaus", "designation_types"} {
			rows, err := conn.Query(`SELECT id, name_zh FROM ` + table)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id, name string
				if err := rows.Scan(&id, &name); err != nil {
					t.Fatal(err)
				}
				n++
				if tr := core.TraditionalOnly(name); len(tr) > 0 {
					t.Errorf("%s %s is stored as %q", table, id, name)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if n == 0 {
				t.Errorf("no rows in %s", table)
			}
		}
	})
}

// hantMarker on a line lets it hold Traditional characters on purpose: a
// test's Traditional input.
const hantMarker = "zh-Hant"

// TestNoTraditionalText reads the module's sources, tests, protos and
// documents and reports every line with a Traditional character, so that
// names, messages, fixtures and examples stay Simplified. No file is
// exempt (the conversion table writes its Traditional characters as
// escapes); only test lines marked zh-Hant, whose input is Traditional on
// purpose, are.
func TestNoTraditionalText(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || rel == "rpc/gen" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(rel) {
		case ".go", ".md", ".proto", ".sql", ".txt", ".csv", ".yaml":
		default:
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		checked++
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if tr := core.TraditionalOnly(line); len(tr) > 0 && !strings.Contains(line, hantMarker) {
				t.Errorf("%s:%d has Traditional characters %q; Simplified: %s", rel, n, string(tr), strings.TrimSpace(core.ToSimplified(line)))
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files under %s", checked, root)
	}
}
