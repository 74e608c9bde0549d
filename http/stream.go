package http

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// streamChunk is how much of a streamed list is buffered before it is sent.
const streamChunk = 32 << 10

// stream writes a JSON array whose items come from produce, one at a time, in chunks, so that a
// list of any length is served in constant memory. An error before anything was sent is returned
// for the error writer; after that the status is sent and the connection is aborted instead, so
// that a client never takes a cut list for a whole one.
//
// produce gets the request's context without the request deadline: a long list to a slow client
// is bounded by the write deadline of each chunk instead.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, produce func(ctx context.Context, item func(any) error) error) error {
	rc := http.NewResponseController(w)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	sent := false
	flush := func() error {
		if !sent {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			sent = true
		}
		rc.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err
	}
	buf.WriteByte('[')
	n := 0
	err := produce(stateOf(r).untimed, func(v any) error {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		if err := enc.Encode(v); err != nil {
			return err
		}
		if buf.Len() >= streamChunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		if !sent {
			return err
		}
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "stream aborted", slog.String("request_id", stateOf(r).id), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
	buf.WriteString("]\n")
	flush()
	return nil
}
