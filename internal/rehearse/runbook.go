package rehearse

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Block is one fenced shell block of a Markdown file.
type Block struct {
	// File is the Markdown file (relative to the repository root); Line
	// the line of the first command (the line after the fence).
	File string
	Line int
	// Lang is the info string's first word (sh, bash, shell, console).
	Lang string
	// NoRun is true for a block marked `norun` in its info string
	// ("```sh norun"): it needs a human decision (a name, a password, a
	// reviewer, an editor) or runs on a server over Session Manager, and is
	// parsed but not executed.
	NoRun bool
	// Text is the block's content.
	Text string
}

// Where is "file:line".
func (b Block) Where() string { return fmt.Sprintf("%s:%d", b.File, b.Line) }

// ShellLangs are the info strings of shell blocks; any other block (Go,
// YAML, output samples) is not a command.
var ShellLangs = map[string]bool{"sh": true, "bash": true, "shell": true}

// Blocks returns the shell blocks of the Markdown files, in file and line
// order. Fenced blocks may be indented (inside a list item).
func Blocks(root string, files ...string) ([]Block, error) {
	var out []Block
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		bs, err := parseBlocks(f, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// RunbookFiles are the Markdown files whose shell blocks are tested: every
// runbook and the README.
func RunbookFiles(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "docs", "runbooks", "*.md"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		out = append(out, rel)
	}
	sort.Strings(out)
	return append([]string{"README.md"}, out...), nil
}

func parseBlocks(file string, raw []byte) ([]Block, error) {
	var out []Block
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	var cur *Block
	var indent string
	var body []string
	for sc.Scan() {
		line++
		text := sc.Text()
		trimmed := strings.TrimLeft(text, " ")
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") {
				info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
				b := &Block{File: file, Line: line + 1}
				if len(info) > 0 {
					b.Lang = info[0]
					for _, w := range info[1:] {
						switch w {
						case "norun":
							b.NoRun = true
						default:
							return nil, fmt.Errorf("%s:%d: unknown word %q in the info string (norun marks a block that needs a human decision)", file, line, w)
						}
					}
				}
				cur, indent, body = b, text[:len(text)-len(trimmed)], nil
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			if ShellLangs[cur.Lang] {
				cur.Text = strings.Join(body, "\n") + "\n"
				out = append(out, *cur)
			}
			cur = nil
			continue
		}
		body = append(body, strings.TrimPrefix(text, indent))
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: a fenced block that never closes", file, cur.Line-1)
	}
	return out, sc.Err()
}
