package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connectproto"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hangzhou-ai/registry/registry"
)

// Bounds on what a refused JSON request is told, so that a hostile body
// cannot make the answer large.
const (
	maxUnknownFieldsReported = 20
	maxReportedFieldBytes    = 128
	maxJSONErrorBytes        = 256
)

// jsonCodec is the registry's JSON codec for every protocol (Connect,
// gRPC and gRPC-Web all name it "json"). It is strict where the default
// codec is lenient: a request field the message does not have is refused
// as invalid_argument naming the field, instead of being dropped (a
// misspelt filter would otherwise answer as if no filter was given). And
// it is explicit in answers: every field is written, false, 0, "" and []
// included, with lowerCamelCase names as before. Binary protobuf is not
// affected.
type jsonCodec struct {
	marshal   protojson.MarshalOptions
	unmarshal protojson.UnmarshalOptions
	stable    connectproto.JSONCodec
}

var _ connect.StableCodec = (*jsonCodec)(nil)

func newJSONCodec() *jsonCodec {
	marshal := protojson.MarshalOptions{EmitUnpopulated: true}
	unmarshal := protojson.UnmarshalOptions{DiscardUnknown: false}
	return &jsonCodec{
		marshal:   marshal,
		unmarshal: unmarshal,
		stable:    connectproto.JSONCodec{MarshalOptions: marshal, UnmarshalOptions: unmarshal},
	}
}

// codecs are the server's codecs: binary protobuf as connect has it, and
// the strict JSON codec. (connecthttp drops "; charset=utf-8" from the
// content type before it looks the codec up, so "json" serves both.)
func codecs() []connect.Codec {
	return []connect.Codec{connectproto.NewBinaryCodec(), newJSONCodec()}
}

func (c *jsonCodec) Name() string   { return connect.CodecNameJSON }
func (c *jsonCodec) IsBinary() bool { return false }

func (c *jsonCodec) MarshalWrite(_ context.Context, dst io.Writer, msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return fmt.Errorf("%w: got %T", connectproto.ErrNotProtoMessage, msg)
	}
	b, err := c.marshal.Marshal(m)
	if err != nil {
		return err
	}
	_, err = dst.Write(b)
	return err
}

func (c *jsonCodec) MarshalWriteStable(ctx context.Context, dst io.Writer, msg any) error {
	return c.stable.MarshalWriteStable(ctx, dst, msg)
}

// UnmarshalRead decodes one request. A refusal is a *registry.Error, so
// that toConnectError gives the caller its message and, for unknown
// fields and enum values, a google.rpc.BadRequest naming each (connect
// keeps the codec's error as the cause of its own).
func (c *jsonCodec) UnmarshalRead(_ context.Context, src io.Reader, msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return fmt.Errorf("%w: got %T", connectproto.ErrNotProtoMessage, msg)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(src); err != nil {
		return err
	}
	data := buf.Bytes()
	if len(bytes.TrimSpace(data)) == 0 {
		return &registry.Error{Kind: registry.KindInvalidArgument, Message: "empty request: send a JSON object, {} for no fields"}
	}
	err := c.unmarshal.Unmarshal(data, m)
	if err == nil {
		return nil
	}
	md := m.ProtoReflect().Descriptor()
	if unknown := unknownNames(data, md); len(unknown) > 0 {
		e := &registry.Error{Kind: registry.KindInvalidArgument, Violations: unknown}
		switch {
		case len(unknown) > 1:
			e.Message = fmt.Sprintf("%d unknown fields or values in %s", len(unknown), md.Name())
		case unknown[0].Description == unknownField:
			e.Message = fmt.Sprintf("unknown field %q in %s", unknown[0].Field, md.Name())
		default:
			e.Message = fmt.Sprintf("unknown value for %q in %s", unknown[0].Field, md.Name())
		}
		return e
	}
	// protojson's text has a "proto:" prefix (followed by a no-break
	// space, so that nobody parses it) and may quote request text.
	text := strings.TrimLeft(strings.TrimPrefix(err.Error(), "proto:"), " \u00a0")
	return &registry.Error{Kind: registry.KindInvalidArgument, Message: "invalid JSON request: " + boundText(text, maxJSONErrorBytes)}
}

const unknownField = "unknown field"

// enumChoices describes an unknown name given for enum ed.
func enumChoices(ed protoreflect.EnumDescriptor) string {
	values := ed.Values()
	names := make([]string, values.Len())
	for i := range names {
		names[i] = string(values.Get(i).Name())
	}
	return boundText("unknown value: one of "+strings.Join(names, ", "), maxJSONErrorBytes)
}

// unknownNames lists, in document order, the object keys in data that
// name no field of md or of the messages nested in it, and the enum
// names that are no value of their enum, each by its path (e.g.
// "awards[0].prise"), at most maxUnknownFieldsReported of them. Keys are
// matched as protojson matches them: by JSON name or by proto name. It
// runs only after protojson has refused data, and it stops quietly where
// data is not valid JSON (protojson's error is then reported instead).
func unknownNames(data []byte, md protoreflect.MessageDescriptor) []registry.FieldViolation {
	w := &unknownWalker{dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	_ = w.message(md, "")
	return w.found
}

var errWalkDone = errors.New("walk done")

type unknownWalker struct {
	dec   *json.Decoder
	found []registry.FieldViolation
}

func (w *unknownWalker) report(path, what string) error {
	w.found = append(w.found, registry.FieldViolation{Field: path, Description: what})
	if len(w.found) >= maxUnknownFieldsReported {
		return errWalkDone
	}
	return nil
}

// message consumes one JSON value standing for a message of type md.
func (w *unknownWalker) message(md protoreflect.MessageDescriptor, path string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
		// Well-known types have JSON forms of their own (strings,
		// arbitrary objects); protojson checks them.
		return w.skipRest(tok)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return w.skipRest(tok)
	}
	fields := md.Fields()
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		fd := fields.ByJSONName(key)
		if fd == nil {
			fd = fields.ByTextName(key)
		}
		shown := boundText(key, maxReportedFieldBytes)
		if shown == "" {
			shown = `""`
		}
		name := joinPath(path, shown)
		if fd == nil {
			// An extension ("[name]") is no field either: the registry's
			// messages have none.
			if err := w.report(name, unknownField); err != nil {
				return err
			}
			if err := w.skip(); err != nil {
				return err
			}
			continue
		}
		if err := w.field(fd, name); err != nil {
			return err
		}
	}
	_, err = w.dec.Token() // '}'
	return err
}

// field consumes the value of field fd.
func (w *unknownWalker) field(fd protoreflect.FieldDescriptor, path string) error {
	switch {
	case fd.IsMap():
		vd := fd.MapValue()
		return w.container('{', func(i int, key string) error {
			return w.single(vd, path+"["+strconv.Quote(boundText(key, maxReportedFieldBytes))+"]")
		})
	case fd.IsList():
		return w.container('[', func(i int, _ string) error {
			return w.single(fd, path+"["+strconv.Itoa(i)+"]")
		})
	default:
		return w.single(fd, path)
	}
}

// single consumes one value of fd's kind: a message, an enum or a scalar.
func (w *unknownWalker) single(fd protoreflect.FieldDescriptor, path string) error {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return w.message(fd.Message(), path)
	case protoreflect.EnumKind:
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		if name, ok := tok.(string); ok && fd.Enum().Values().ByName(protoreflect.Name(name)) == nil {
			return w.report(path, enumChoices(fd.Enum()))
		}
		return w.skipRest(tok)
	default:
		return w.skip()
	}
}

// container consumes an object (open '{') or array (open '[') whose
// elements each is handed to elem, with its index and, for objects, key.
// Any other value is skipped.
func (w *unknownWalker) container(open json.Delim, elem func(i int, key string) error) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != open {
		return w.skipRest(tok)
	}
	for i := 0; w.dec.More(); i++ {
		key := ""
		if open == '{' {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ = tok.(string)
		}
		if err := elem(i, key); err != nil {
			return err
		}
	}
	_, err = w.dec.Token() // closing delimiter
	return err
}

// skip consumes one JSON value.
func (w *unknownWalker) skip() error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	return w.skipRest(tok)
}

// skipRest consumes the rest of the value that tok opened, if it opened
// an object or array.
func (w *unknownWalker) skipRest(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// boundText cuts s to at most n bytes on a rune boundary, marking the cut.
func boundText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
