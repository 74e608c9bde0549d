// Command yamljson converts a YAML document to indented JSON, keeping the order of mapping keys,
// so that http/openapi.json reads in the same order as http/openapi.yaml, which is authored by
// hand. It is run by go generate in http/ and is no part of the server.
//
//	go run ./tools/yamljson IN.yaml OUT.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"

	"go.yaml.in/yaml/v4"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: yamljson IN.yaml OUT.json")
		os.Exit(2)
	}
	if err := convert(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "yamljson:", err)
		os.Exit(1)
	}
}

func convert(in, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var buf bytes.Buffer
	if err := write(&buf, &doc); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, buf.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	pretty.WriteByte('\n')
	return os.WriteFile(out, pretty.Bytes(), 0o644)
}

// write appends the JSON form of a YAML node to buf.
func write(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: want one document", n.Line)
		}
		return write(buf, n.Content[0])
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return fmt.Errorf("line %d: keys must be plain strings", k.Line)
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			str(buf, k.Value)
			buf.WriteByte(':')
			if err := write(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := write(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		return scalar(buf, n)
	default:
		return fmt.Errorf("line %d: aliases and anchors are not supported", n.Line)
	}
	return nil
}

// scalar writes a scalar by its resolved YAML tag: numbers keep their exact text, never going
// through a float.
func scalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %q is not a JSON boolean", n.Line, n.Value)
		}
		buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		i, ok := new(big.Int).SetString(n.Value, 0)
		if !ok {
			return fmt.Errorf("line %d: %q is not an integer", n.Line, n.Value)
		}
		buf.WriteString(i.String())
	case "!!float":
		if !json.Valid([]byte(n.Value)) {
			return fmt.Errorf("line %d: %q is not a JSON number", n.Line, n.Value)
		}
		buf.WriteString(n.Value)
	case "!!str":
		str(buf, n.Value)
	default:
		return fmt.Errorf("line %d: unsupported tag %s", n.Line, n.ShortTag())
	}
	return nil
}

// str writes a JSON string as it reads, without escaping <, > and &.
func str(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // the newline Encode adds
}
