package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/sqlstore"
)

// printJSON writes v as one indented JSON document.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// withStore opens the database named by --db, runs fn and closes it.
func withStore(ctx context.Context, db string, fn func(*sqlstore.Store) error) error {
	s, err := openStore(ctx, db, sqlstore.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

func required(fs *flag.FlagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return usageError{fmt.Sprintf("%s: --%s is required", fs.Name(), n)}
		}
	}
	return nil
}

func platformCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"platform: create, suspend or resume?\n" + usage}
	}
	sub := args[0]
	if sub != "create" && sub != "suspend" && sub != "resume" {
		return usageError{fmt.Sprintf("platform: unknown command %q\n%s", sub, usage)}
	}
	fs := flags("platform "+sub, stderr)
	name := fs.String("name", "", "platform name: 5-100 characters of -0-9a-zA-Z")
	db := dbFlag(fs, getenv)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "name"); err != nil {
		return err
	}
	if err := coffer.ValidatePlatformName(*name); err != nil && sub == "create" {
		return err // before the database file is made
	}
	return withStore(ctx, *db, func(s *sqlstore.Store) error {
		switch sub {
		case "create":
			k, err := s.CreatePlatform(ctx, *name)
			if err != nil {
				return err
			}
			return printJSON(stdout, k)
		default:
			return s.SetSuspended(ctx, *name, sub == "suspend")
		}
	})
}

// keyView is a key as key list prints it: never its secret.
type keyView struct {
	KeyID     string     `json:"keyId"`
	ReadOnly  bool       `json:"readOnly"`
	Customers []string   `json:"customers"` // null: every customer
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt"`
}

func keyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"key: create, list or revoke?\n" + usage}
	}
	sub := args[0]
	fs := flags("key "+sub, stderr)
	platform := fs.String("platform", "", "platform name")
	db := dbFlag(fs, getenv)
	var readOnly *bool
	var customers, keyID *string
	switch sub {
	case "create":
		readOnly = fs.Bool("read-only", false, "the key may only read")
		customers = fs.String("customers", "", "comma-separated customer identifiers the key is restricted to")
	case "revoke":
		keyID = fs.String("key-id", "", "id of the key to revoke")
	case "list":
	default:
		return usageError{fmt.Sprintf("key: unknown command %q\n%s", sub, usage)}
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "platform"); err != nil {
		return err
	}
	if sub == "revoke" {
		if err := required(fs, "key-id"); err != nil {
			return err
		}
	}
	return withStore(ctx, *db, func(s *sqlstore.Store) error {
		switch sub {
		case "create":
			var list []string
			if set := isSet(fs, "customers"); set {
				if list = splitList(*customers); list == nil {
					return errors.New("key create: --customers needs at least one customer identifier")
				}
			}
			k, err := s.CreateKey(ctx, *platform, *readOnly, list)
			if err != nil {
				return err
			}
			return printJSON(stdout, k)
		case "revoke":
			return s.RevokeKey(ctx, *platform, *keyID)
		default:
			keys, err := s.Keys(ctx, *platform)
			if err != nil {
				return err
			}
			out := make([]keyView, len(keys))
			for i, k := range keys {
				out[i] = keyView{KeyID: k.ID, ReadOnly: k.ReadOnly, Customers: k.Customers, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
			}
			return printJSON(stdout, out)
		}
	})
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
