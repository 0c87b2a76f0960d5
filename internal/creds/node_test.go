package creds

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// nodeScript parses each base64 input with the dotenv package found at
// process.argv[1] (lib/main.js) and prints the results as JSON.
const nodeScript = `
const dotenv = require(process.argv[1]);
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(b => dotenv.parse(Buffer.from(b, 'base64')));
  process.stdout.write(JSON.stringify(out));
});`

// nodeParse runs Node's own dotenv over inputs. It skips the test unless
// ENVOY_PLUGIN_DOTENV names an unpacked dotenv v16 package and node is on
// PATH:
//
//	d=$(mktemp -d) && (cd "$d" && npm pack --silent dotenv@16 >/dev/null && tar xzf dotenv-16*.tgz)
//	ENVOY_PLUGIN_DOTENV="$d/package" go test -short -run TestParseMatchesNode ./internal/creds/
//
// -short compares 300 random files instead of 3000 (well under a second).
func nodeParse(t *testing.T, inputs [][]byte) []map[string]string {
	t.Helper()
	dir := os.Getenv("ENVOY_PLUGIN_DOTENV")
	if dir == "" {
		t.Skip("set ENVOY_PLUGIN_DOTENV to an unpacked dotenv@16 package to compare with Node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	enc := make([]string, len(inputs))
	for i, in := range inputs {
		enc[i] = base64.StdEncoding.EncodeToString(in)
	}
	js, _ := json.Marshal(enc)
	main, _ := filepath.Abs(filepath.Join(dir, "lib", "main.js"))
	cmd := exec.Command(node, "-e", nodeScript, main)
	cmd.Stdin = bytes.NewReader(js)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res []map[string]string
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestParseMatchesNode(t *testing.T) {
	inputs := [][]byte{}
	for _, c := range parseCases {
		inputs = append(inputs, []byte(c.in))
	}
	r := rand.New(rand.NewPCG(1, 2))
	values := []string{"v", "a b", "'", `"`, "`", "#", "x\ny", `\n`, " lead", "$X", ""}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		in := randomEnv(r)
		inputs = append(inputs, in)
		// What Merge writes must read the same in Node.
		if out, _, err := Merge(in, map[string]string{"ENVOY_CLIENT_SECRET": values[r.IntN(len(values))]}); err == nil {
			inputs = append(inputs, out)
		}
	}
	want := nodeParse(t, inputs)
	for i, in := range inputs {
		ef, _ := ParseEnv(in)
		got := ef.Values()
		if !reflect.DeepEqual(got, want[i]) && !(len(got) == 0 && len(want[i]) == 0) {
			t.Errorf("input %q:\n got %q\nnode %q", in, got, want[i])
		}
	}
}

// randomEnv builds small env files from the pieces that matter to the
// parser.
func randomEnv(r *rand.Rand) []byte {
	pieces := []string{"A", "B_1", "k.e-y", "export ", "export", "=", " = ", ": ", ":", "'", "\"", "`", "\\", "\\n", "\\r",
		"#", " # c", "\n", "\r\n", "\r", " ", "\t", "value", "x y", "$HOME", "${A}", "\u00a0", "\ufeff", "é", "=", "\v", "__proto__"}
	var b bytes.Buffer
	n := 1 + r.IntN(14)
	for i := 0; i < n; i++ {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.Bytes()
}
