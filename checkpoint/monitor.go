package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// State is what a monitor keeps between runs: the verifier key it trusts
// and the checkpoints it verified, oldest first.
type State struct {
	VerifierKey string  `json:"verifier_key"`
	Checkpoints []Saved `json:"checkpoints"`
}

// Saved is one checkpoint a monitor verified.
type Saved struct {
	Size int64 `json:"size"`
	// Root is the root hash, base64.
	Root string `json:"root"`
	// Note is the signed checkpoint as fetched: anyone can check it again.
	Note       string    `json:"note"`
	VerifiedAt time.Time `json:"verified_at"`
}

// MaxSaved bounds the checkpoints a state keeps: past it, the oldest is
// kept and the next oldest are dropped.
const MaxSaved = 1000

// ParseState reads a state file.
func ParseState(b []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("monitor state: %w", err)
	}
	return &st, nil
}

// LoadState reads the state file at path; a missing file is an empty
// state.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseState(b)
}

// Save writes the state to path atomically (a new file renamed over it).
func (s *State) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(b, '\n'))
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Open checks every saved checkpoint's signature with vkey again and
// returns them, oldest first.
func (s *State) Open(vkey string) ([]Checkpoint, error) {
	out := make([]Checkpoint, 0, len(s.Checkpoints))
	for i, sv := range s.Checkpoints {
		c, err := Open([]byte(sv.Note), vkey)
		if err != nil {
			return nil, fmt.Errorf("saved checkpoint %d: %w", i+1, err)
		}
		if c.Size != sv.Size || c.Root.String() != sv.Root {
			return nil, fmt.Errorf("saved checkpoint %d: its size or root differs from its signed note", i+1)
		}
		out = append(out, c)
	}
	return out, nil
}

// add saves a verified checkpoint.
func (s *State) add(signed []byte, c Checkpoint, at time.Time) {
	s.Checkpoints = append(s.Checkpoints, Saved{Size: c.Size, Root: c.Root.String(), Note: string(signed), VerifiedAt: at.UTC()})
	if extra := len(s.Checkpoints) - MaxSaved; extra > 0 {
		s.Checkpoints = append(s.Checkpoints[:1], s.Checkpoints[1+extra:]...)
	}
}

// Log is what a monitor asks of the registry.
type Log interface {
	// Checkpoint fetches the latest signed checkpoint.
	Checkpoint(ctx context.Context) ([]byte, error)
	// ConsistencyProof fetches the proof that the tree of oldSize is a
	// prefix of the tree of newSize.
	ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error)
}

// Result is what one round of monitoring found.
type Result struct {
	// Latest is the checkpoint fetched.
	Latest Checkpoint
	// Checked is how many saved checkpoints were checked against it.
	Checked int
	// OK is true when Latest verifies and extends every saved checkpoint.
	OK bool
	// FirstBadSize is the smallest saved checkpoint size the log no longer
	// extends: its events were rewritten, inserted or removed, or the log
	// was truncated below it.
	FirstBadSize int64
	Problem      string
	// Saved tells whether Latest was added to the state.
	Saved bool
}

// Monitor fetches the log's checkpoint, checks its signature with the
// state's verifier key and its consistency with the checkpoints saved in
// the state, and saves it there when all is well. On the first run the
// state must be given its verifier key. An error is a failure to ask
// (network, a malformed answer); a log that proves inconsistent is a
// Result that is not OK.
func Monitor(ctx context.Context, log Log, st *State, now time.Time) (Result, error) {
	var res Result
	if st.VerifierKey == "" {
		return res, errors.New("monitor: no verifier key: give the registry's checkpoint verifier key")
	}
	signed, err := log.Checkpoint(ctx)
	if err != nil {
		return res, fmt.Errorf("fetching the checkpoint: %w", err)
	}
	latest, err := Open(signed, st.VerifierKey)
	if err != nil {
		res.Problem = err.Error()
		return res, nil
	}
	res.Latest = latest
	saved, err := st.Open(st.VerifierKey)
	if err != nil {
		return res, err
	}
	// Checking the newest saved checkpoint suffices when it holds, as
	// every saved one was checked against it in its turn; when it fails,
	// the older ones tell the first bad size.
	check := func(old Checkpoint) (bool, error) {
		switch {
		case old.Size > latest.Size:
			return false, nil
		case old.Size == latest.Size:
			return old.Root == latest.Root, nil
		case old.Size == 0:
			return true, nil
		}
		proof, err := log.ConsistencyProof(ctx, old.Size, latest.Size)
		if err != nil {
			return false, fmt.Errorf("fetching the consistency proof %d→%d: %w", old.Size, latest.Size, err)
		}
		return tlog.CheckTree(proof, latest.Size, latest.Root, old.Size, old.Root) == nil, nil
	}
	if len(saved) > 0 {
		ok, err := check(saved[len(saved)-1])
		if err != nil {
			return res, err
		}
		res.Checked = 1
		if !ok {
			bad := saved[len(saved)-1]
			for _, old := range saved[:len(saved)-1] {
				ok, err := check(old)
				if err != nil {
					return res, err
				}
				res.Checked++
				if !ok {
					bad = old
					break
				}
			}
			res.FirstBadSize = bad.Size
			if bad.Size > latest.Size {
				res.Problem = fmt.Sprintf("the log holds %d events now, fewer than the %d of a checkpoint verified on %s: it was truncated",
					latest.Size, bad.Size, verifiedAt(st, bad))
			} else {
				res.Problem = fmt.Sprintf("the log of %d events does not extend the checkpoint of size %d verified on %s: events at or before %d were changed, inserted or removed",
					latest.Size, bad.Size, verifiedAt(st, bad), bad.Size)
			}
			return res, nil
		}
	}
	res.OK = true
	if len(saved) == 0 || latest.Size > saved[len(saved)-1].Size {
		st.add(signed, latest, now)
		res.Saved = true
	}
	return res, nil
}

// verifiedAt is when the saved checkpoint c was verified.
func verifiedAt(st *State, c Checkpoint) string {
	for _, sv := range st.Checkpoints {
		if sv.Size == c.Size && sv.Root == c.Root.String() {
			return sv.VerifiedAt.Format(time.RFC3339)
		}
	}
	return "an earlier run"
}
