package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestServer_directReadMatchesFramework proves that the direct read path of
// server.go answers exactly what the framework's Read answers: the same
// state, value for value, and the same diagnostics.
func TestServer_directReadMatchesFramework(t *testing.T) {
	_, url := startSandbox(t)
	ctx := context.Background()
	newServer, err := NewProtocol6Server("test")()
	if err != nil {
		t.Fatal(err)
	}
	srv, ok := newServer.(*server)
	if !ok {
		t.Fatalf("NewProtocol6Server returned %T", newServer)
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	configured, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.11.4",
		Config: dynamicValue(t, schemas.Provider, map[string]tftypes.Value{
			"base_url":    tftypes.NewValue(tftypes.String, url),
			"public_key":  tftypes.NewValue(tftypes.String, sandbox.PublicKey),
			"private_key": tftypes.NewValue(tftypes.String, sandbox.PrivateKey),
		}),
	})
	if err != nil || len(configured.Diagnostics) > 0 {
		t.Fatalf("ConfigureProvider: %v %v", err, configured.Diagnostics)
	}

	exportsSchema := schemas.DataSourceSchemas[snapshotExportsTypeName]
	exportsType := objectType(t, exportsSchema)
	timeoutsType, _ := exportsType.AttributeTypes["timeouts"].(tftypes.Object)
	statesType, _ := exportsType.AttributeTypes["states"].(tftypes.Set)
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	cases := map[string]struct {
		config    map[string]tftypes.Value
		wantError bool
	}{
		"sharded": {config: map[string]tftypes.Value{"cluster_name": str(sandbox.ClusterSharded)}},
		"empty":   {config: map[string]tftypes.Value{"cluster_name": str(sandbox.ClusterEmpty)}},
		"generated, filtered, with timeouts": {config: map[string]tftypes.Value{
			"cluster_name": str(sandbox.ClusterGenerated),
			"states":       tftypes.NewValue(statesType, []tftypes.Value{str("Failed"), str("Cancelled")}),
			"timeouts":     tftypes.NewValue(timeoutsType, map[string]tftypes.Value{"read": str("5m")}),
		}},
		"unknown cluster": {config: map[string]tftypes.Value{"cluster_name": str("nope")}, wantError: true},
		"invalid read timeout": {config: map[string]tftypes.Value{
			"cluster_name": str(sandbox.ClusterSharded),
			"timeouts":     tftypes.NewValue(timeoutsType, map[string]tftypes.Value{"read": str("soon")}),
		}, wantError: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.config["project_id"] = str(sandbox.ProjectID)
			req := &tfprotov6.ReadDataSourceRequest{TypeName: snapshotExportsTypeName, Config: dynamicValue(t, exportsSchema, tc.config)}
			direct, err := srv.ReadDataSource(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			framework, err := srv.ProviderServer.ReadDataSource(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := diagnosticsText(direct.Diagnostics), diagnosticsText(framework.Diagnostics); got != want {
				t.Errorf("diagnostics differ:\ndirect:    %s\nframework: %s", got, want)
			}
			if hasError := diagnosticsText(direct.Diagnostics) != ""; hasError != tc.wantError {
				t.Fatalf("error: %v, want %v (%s)", hasError, tc.wantError, diagnosticsText(direct.Diagnostics))
			}
			if tc.wantError {
				return
			}
			directState, err := direct.State.Unmarshal(exportsType)
			if err != nil {
				t.Fatal(err)
			}
			frameworkState, err := framework.State.Unmarshal(exportsType)
			if err != nil {
				t.Fatal(err)
			}
			if !directState.Equal(frameworkState) {
				diffs, _ := directState.Diff(frameworkState)
				t.Fatalf("states differ in %d places, first: %v", len(diffs), diffs[0])
			}
		})
	}
}

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
	attrs := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for name, attrType := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(attrType, nil)
		if v, ok := set[name]; ok {
			attrs[name] = v
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, attrs))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func diagnosticsText(diags []*tfprotov6.Diagnostic) string {
	text := ""
	for _, d := range diags {
		text += d.Severity.String() + ": " + d.Summary + ": " + d.Detail + " @ " + d.Attribute.String() + "\n"
	}
	return text
}
