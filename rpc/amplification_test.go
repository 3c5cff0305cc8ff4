package rpc_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	_ "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// maxRefusalBytes bounds the answer to any refused request.
const maxRefusalBytes = 64 << 10

// hostileBudget is about how large each hostile request is: close to the
// server's 4 MiB cap, so that anything the server echoes per element or
// per byte shows.
const hostileBudget = 3 << 20

// hostileText is a value wrong in as many ways as one string can be: a
// formula lead, a bidi override, quotes and markup.
const hostileText = "=\u202e'\"<x>号"

// fillHostile sets every field of m to a bad value, spending about budget
// bytes: repeated fields get many bad elements, strings long bad text.
func fillHostile(m protoreflect.Message, budget, depth int) {
	fields := m.Descriptor().Fields()
	if fields.Len() == 0 || depth > 3 {
		return
	}
	share := budget / fields.Len()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil && m.WhichOneof(fd.ContainingOneof()) != nil {
			continue
		}
		switch {
		case fd.IsMap():
		case fd.IsList():
			list := m.Mutable(fd).List()
			element := 64
			if fd.Kind() == protoreflect.MessageKind {
				element = 4 << 10
			}
			for n := 0; n*element < share; n++ {
				if fd.Kind() == protoreflect.MessageKind {
					e := list.NewElement()
					fillHostile(e.Message(), element, depth+1)
					list.Append(e)
				} else {
					list.Append(scalar(fd, element))
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			if fd.Message().FullName() == "google.protobuf.Timestamp" {
				continue
			}
			fillHostile(m.Mutable(fd).Message(), share, depth+1)
		default:
			m.Set(fd, scalar(fd, share))
		}
	}
}

// scalar is a bad value of fd's kind about size bytes long.
func scalar(fd protoreflect.FieldDescriptor, size int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(strings.Repeat(hostileText, max(1, size/len(hostileText))))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(bytes.Repeat([]byte{0xff}, size))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(999)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(-7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(-7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(1 << 31)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(1 << 63)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(-1)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(-1)
	}
	panic(fmt.Sprintf("no hostile value for %s", fd.Kind()))
}

// registryMethods lists every method of the registry's services.
func registryMethods(t *testing.T) []protoreflect.MethodDescriptor {
	t.Helper()
	var methods []protoreflect.MethodDescriptor
	for _, name := range rpc.ServiceNames {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		sd := d.(protoreflect.ServiceDescriptor)
		for i := range sd.Methods().Len() {
			methods = append(methods, sd.Methods().Get(i))
		}
	}
	return methods
}

// TestRefusalsStaySmall sends every RPC of every service, streams
// included, a request of about 3 MiB that is wrong in every field, as the
// weakest principals and as ones allowed to call it: every answer stays
// under 64 KiB, however many elements or bytes were wrong.
func TestRefusalsStaySmall(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		tokens := map[string]string{
			"member":   env.Token(registryPrincipal("member", "enterprise:"+registrytest.CreditCode(t, "91330106MA27XK0A1"))),
			"operator": env.Token(registryPrincipal("operator", "park:west-lake")),
			"issuer":   env.Token(registryPrincipal("issuer", "bureau:economy-it")),
			"talent":   env.Token(registryPrincipal("issuer", "bureau:talent-office")),
			"admin":    env.Token(registryPrincipal("admin", "admin")),
			"none":     "",
		}
		for _, md := range registryMethods(t) {
			req := dynamicpb.NewMessage(md.Input())
			fillHostile(req, hostileBudget, 0)
			body, err := proto.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			procedure := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
			for who, token := range tokens {
				t.Run(procedure+"/"+who, func(t *testing.T) {
					size, status := postHostile(t, env.URL+procedure, token, body, md.IsStreamingClient() || md.IsStreamingServer())
					if size >= maxRefusalBytes {
						t.Errorf("%d-byte request got a %d-byte answer (HTTP %d), want under %d", len(body), size, status, maxRefusalBytes)
					}
				})
			}
		}
	})
}

// postHostile sends body to url as a Connect call (a unary one, or one
// message of a stream) and returns the answer's size and HTTP status.
func postHostile(t *testing.T, url, token string, body []byte, stream bool) (int, int) {
	t.Helper()
	contentType, client := "application/proto", http.DefaultClient
	if stream {
		envelope := make([]byte, 5, 5+len(body))
		binary.BigEndian.PutUint32(envelope[1:], uint32(len(body)))
		body = append(envelope, body...)
		contentType, client = "application/connect+proto", h2cClient
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Idempotency-Key", "hostile-"+t.Name())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(res.Body, 16<<20))
	if err != nil {
		t.Fatal(err)
	}
	return int(n) + headerBytes(res.Header) + headerBytes(res.Trailer), res.StatusCode
}

// headerBytes counts what a header block carries.
func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}

// h2cClient speaks HTTP/2 without TLS, as bidirectional streams need.
var h2cClient = &http.Client{Transport: &http.Transport{Protocols: func() *http.Protocols {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return p
}()}}
