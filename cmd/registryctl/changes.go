package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// The change feed: ChangeService. Both commands print one JSON object per
// line (JSON Lines), each a registry.v1.Change as the API's JSON shows
// it, whatever -o says: a feed is read by programs, a line at a time.

// changeLine is the compact, every-field JSON of one change.
var changeLine = protojson.MarshalOptions{EmitUnpopulated: true}

func (inv *invocation) printChange(c *registryv1.Change) error {
	b, err := changeLine.Marshal(c)
	if err != nil {
		return err
	}
	// protojson varies its whitespace on purpose: compact it.
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = out.WriteTo(inv.stdout)
	return err
}

// feedFlags are the flags of both commands.
type feedFlags struct {
	after string
	types []string
}

func (f *feedFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.after, "after", "", "start after this `cursor` (a change's cursor); empty starts at the first change")
	fs.StringSliceVar(&f.types, "type", nil, "only changes to this entity `type` (repeat, or separate by commas): enterprise, talent, designation, competition, award, park, tenancy, eligibility-rule")
}

// changesList pages through every change after --after to the current
// end of the feed.
func changesList(inv *invocation, fs *pflag.FlagSet) action {
	var f feedFlags
	f.register(fs)
	pageSize := fs.Int32("page-size", 500, "changes per `N` request")
	return func([]string) error {
		cursor := f.after
		for {
			res, err := inv.clients().Change.ListChanges(inv.ctx, &registryv1.ListChangesRequest{AfterCursor: cursor, EntityTypes: f.types, PageSize: *pageSize})
			if err != nil {
				return err
			}
			for _, c := range res.GetChanges() {
				if err := inv.printChange(c); err != nil {
					return err
				}
			}
			if len(res.GetChanges()) == 0 || res.GetNextCursor() == cursor {
				return nil
			}
			cursor = res.GetNextCursor()
		}
	}
}

// changesWatch prints the changes after --after, then each change as it
// commits, until interrupted (which ends it without an error) or until
// the registry ends the stream, whose error names the cursor to resume
// after.
func changesWatch(inv *invocation, fs *pflag.FlagSet) action {
	var f feedFlags
	f.register(fs)
	return func([]string) error {
		stream, err := inv.clients().Change.WatchChanges(inv.ctx, &registryv1.WatchChangesRequest{AfterCursor: f.after, EntityTypes: f.types})
		if err != nil {
			return err
		}
		defer stream.Close()
		for {
			res, err := stream.Receive()
			switch {
			case err == nil:
				if err := inv.printChange(res.GetChange()); err != nil {
					return err
				}
			case errors.Is(err, io.EOF), errors.Is(inv.ctx.Err(), context.Canceled):
				return nil
			default:
				return err
			}
		}
	}
}
