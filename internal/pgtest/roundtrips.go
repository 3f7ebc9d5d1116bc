package pgtest

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
)

// RoundTrips counts, on the connections it dials, the client's round
// trips as bench/ does: each Query or Sync message waits for the server.
// Use its Dial as a connection's DialFunc.
type RoundTrips struct {
	mu sync.Mutex
	n  int
}

// Dial opens a TCP connection that counts.
func (r *RoundTrips) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, r: r}, nil
}

// Take returns the round trips counted since the last Take.
func (r *RoundTrips) Take() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.n
	r.n = 0
	return n
}

type countingConn struct {
	net.Conn
	r       *RoundTrips
	started bool   // past the start-up packet (which has no type byte)
	buf     []byte // a message not yet complete
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for {
		if !c.started {
			if len(c.buf) < 8 {
				break
			}
			n := int(binary.BigEndian.Uint32(c.buf))
			if len(c.buf) < n {
				break
			}
			code := binary.BigEndian.Uint32(c.buf[4:8])
			c.started = code != 80877103 && code != 80877104 // SSLRequest, GSSENCRequest
			c.buf = c.buf[n:]
			continue
		}
		if len(c.buf) < 5 {
			break
		}
		n := 1 + int(binary.BigEndian.Uint32(c.buf[1:5]))
		if len(c.buf) < n {
			break
		}
		if c.buf[0] == 'Q' || c.buf[0] == 'S' {
			c.r.mu.Lock()
			c.r.n++
			c.r.mu.Unlock()
		}
		c.buf = c.buf[n:]
	}
	return c.Conn.Write(p)
}
