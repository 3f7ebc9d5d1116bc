// Command lambdazip writes a Lambda deployment zip holding one file,
// bootstrap, with its exec bit and a fixed timestamp, so that the same
// binary always gives the same bytes.
//
//	go run ./scripts/lambdazip -o dist/rolekeeper-arm64.zip dist/arm64/bootstrap [extra files...]
package main

import (
	"archive/zip"
	"compress/flate"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

func main() {
	out := flag.String("o", "", "zip file to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: lambdazip -o out.zip bootstrap [files...]")
		os.Exit(2)
	}
	if err := write(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
}

func write(out string, files []string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, path := range files {
		name := filepath.Base(path)
		mode := os.FileMode(0o644)
		if name == "bootstrap" {
			mode = 0o755 // Lambda executes bootstrap
		}
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: epoch}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
