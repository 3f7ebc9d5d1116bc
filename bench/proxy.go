package main

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
)

// counts is what the proxy saw clients send.
type counts struct {
	RoundTrips int // Query and Sync messages: each waits for the server
	Connects   int // startup and authentication messages
	Reads      int // SELECT, WITH, SHOW
	Writes     int // everything that changes the catalog
	Control    int // BEGIN, COMMIT, ROLLBACK, SET, SAVEPOINT
}

// proxy forwards TCP connections to a PostgreSQL server and counts, from
// the client's protocol messages, round trips and statements.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	c      counts
}

func newProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target}
	go p.accept()
	return p, nil
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) close() { p.ln.Close() }

// take returns the counts so far and resets them.
func (p *proxy) take() counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.c
	p.c = counts{}
	return c
}

func (p *proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		go func() {
			io.Copy(client, server)
			client.Close()
		}()
		go func() {
			p.read(client, server)
			server.Close()
		}()
	}
}

// read copies client messages to the server, counting them.
func (p *proxy) read(client net.Conn, server net.Conn) {
	started := false
	head := make([]byte, 5)
	for {
		if !started {
			// Startup, SSL and cancel requests have no type byte.
			if _, err := io.ReadFull(client, head[:4]); err != nil {
				return
			}
			n := int(binary.BigEndian.Uint32(head[:4]))
			body := make([]byte, n-4)
			if _, err := io.ReadFull(client, body); err != nil {
				return
			}
			server.Write(head[:4])
			server.Write(body)
			code := binary.BigEndian.Uint32(body[:4])
			p.count(func(c *counts) { c.Connects++ })
			if code == 80877103 { // SSLRequest: this harness runs without TLS
				continue
			}
			started = true
			continue
		}
		if _, err := io.ReadFull(client, head); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(head[1:5]))
		body := make([]byte, n-4)
		if _, err := io.ReadFull(client, body); err != nil {
			return
		}
		server.Write(head)
		server.Write(body)
		switch head[0] {
		case 'Q':
			sql := strings.TrimRight(string(body), "\x00")
			p.count(func(c *counts) {
				c.RoundTrips++
				for _, st := range splitStatements(sql) {
					classify(c, st)
				}
			})
		case 'P': // Parse: name, then the query
			parts := strings.SplitN(string(body), "\x00", 3)
			if len(parts) >= 2 {
				p.count(func(c *counts) { classify(c, parts[1]) })
			}
		case 'S':
			p.count(func(c *counts) { c.RoundTrips++ })
		case 'p':
			p.count(func(c *counts) { c.Connects++ })
		}
	}
}

func (p *proxy) count(f func(*counts)) {
	p.mu.Lock()
	f(&p.c)
	p.mu.Unlock()
}

// splitStatements splits a simple query on semicolons outside quotes.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(sql); i++ {
		ch := sql[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == ';':
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(ch)
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func classify(c *counts, sql string) {
	s := strings.ToUpper(strings.TrimSpace(sql))
	for strings.HasPrefix(s, "--") {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = strings.TrimSpace(s[i+1:])
		} else {
			return
		}
	}
	word := s
	if i := strings.IndexAny(s, " \n\t("); i >= 0 {
		word = s[:i]
	}
	switch word {
	case "":
	case "SELECT", "WITH", "SHOW", "VALUES", "TABLE":
		c.Reads++
	case "BEGIN", "COMMIT", "ROLLBACK", "SET", "RESET", "SAVEPOINT", "RELEASE", "START", "END":
		c.Control++
	default:
		c.Writes++
	}
}
