package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// Helpers of the tests and benchmarks that call the provider as Terraform
// does, without the CLI: configurations built from the schema, and the
// protocol 6 server main.go serves.

// configValue is a configuration of typ with the given attributes set and
// every other one null.
func configValue(typ tftypes.Object, set map[string]tftypes.Value) tftypes.Value {
	attrs := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for name, attrType := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(attrType, nil)
		if v, ok := set[name]; ok {
			attrs[name] = v
		}
	}
	return tftypes.NewValue(typ, attrs)
}

// objectType is the object type of a protocol schema.
func objectType(t testing.TB, s *tfprotov6.Schema) tftypes.Object {
	t.Helper()
	if s == nil {
		t.Fatal("no schema")
	}
	typ, ok := s.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("schema type is %T", s.ValueType())
	}
	return typ
}

// dynamicValue encodes a configuration of schema with the given attributes
// set and every other one null.
func dynamicValue(t testing.TB, schema *tfprotov6.Schema, set map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	typ := objectType(t, schema)
	dv, err := tfprotov6.NewDynamicValue(typ, configValue(typ, set))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// configuredServer is the provider's protocol 6 server, configured against
// the sandbox at url with its key pair, and the schemas it serves.
func configuredServer(t testing.TB, url string) (tfprotov6.ProviderServer, *tfprotov6.GetProviderSchemaResponse) {
	t.Helper()
	ctx := context.Background()
	server := providerserver.NewProtocol6(New("test")())()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	configured, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4",
		Config: dynamicValue(t, schemas.Provider, map[string]tftypes.Value{
			"base_url": str(url), "public_key": str(sandbox.PublicKey), "private_key": str(sandbox.PrivateKey),
		})})
	if err != nil || len(configured.Diagnostics) > 0 {
		t.Fatalf("ConfigureProvider: %v %v", err, configured.Diagnostics)
	}
	return server, schemas
}
