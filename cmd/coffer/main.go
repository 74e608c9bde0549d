// Command coffer runs the Coffer server and its operator commands.
//
//	coffer serve [--addr HOST:PORT] [--db DB] [--dev] [--drain-delay DURATION]
//	coffer platform create --name NAME --db DB
//	coffer platform suspend|resume --name NAME --db DB
//	coffer key create --platform NAME [--read-only] [--customers ID,ID] --db DB
//	coffer key list --platform NAME --db DB
//	coffer key revoke --platform NAME --key-id ID --db DB
//	coffer account credit|debit --platform NAME --account ACCOUNT --amount 12.34 [--note TEXT] --db DB
//	coffer account status --platform NAME --account ACCOUNT --set STATUS --db DB
//	coffer customers list|get|create ...
//	coffer accounts list|get|create|update ...
//
// DB is a SQLite file path or a postgres:// URL; COFFER_DB and COFFER_ADDR give the defaults.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cofferhq/coffer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if !errors.As(err, &ue) || ue.msg != "" {
			fmt.Fprintln(os.Stderr, "coffer:", message(err))
		}
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// message is the one-line reason for an error: a domain error's sentence, or the error itself.
func message(err error) string {
	var e *coffer.Error
	if errors.As(err, &e) && e.Code != coffer.EINTERNAL {
		return e.Message
	}
	return err.Error()
}

// usageError is a command line that does not parse; the flag package has already said why when
// msg is empty.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage:
  coffer serve [--addr HOST:PORT] [--db DB] [--dev] [--drain-delay DURATION]
  coffer platform create|suspend|resume --name NAME --db DB
  coffer key create --platform NAME [--read-only] [--customers ID,ID] --db DB
  coffer key list --platform NAME --db DB
  coffer key revoke --platform NAME --key-id ID --db DB
  coffer account credit|debit --platform NAME --account ACCOUNT --amount 12.34 [--note TEXT] --db DB
  coffer account status --platform NAME --account ACCOUNT --set STATUS --db DB
  coffer customers list|get|create [--customer ID] [--name NAME] [--json]
  coffer accounts list [--customer ID] [FILTERS] [--max-results N] [--next-cursor C] [--all] [--json]
  coffer accounts get|create|update --account ID [--customer ID] [--name NAME] [--email EMAIL] [--currency CUR] [--notify A,B] [--json]
client commands take --url, --platform, --key (env COFFER_URL, COFFER_PLATFORM, COFFER_KEY)`

// run is the whole program but for the process: arguments, environment and output are passed in.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{usage}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "platform":
		return platformCmd(ctx, rest, getenv, stdout, stderr)
	case "key":
		return keyCmd(ctx, rest, getenv, stdout, stderr)
	case "account":
		return accountCmd(ctx, rest, getenv, stdout, stderr)
	case "customers":
		return customersCmd(ctx, rest, getenv, stdout, stderr)
	case "accounts":
		return accountsCmd(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q\n%s", cmd, usage)}
	}
}
