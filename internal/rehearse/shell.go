package rehearse

import (
	"strings"
)

// Command is one simple command of a shell script: its words after
// variable assignments and `sudo`/`env` prefixes, as written (quotes
// removed, expansions left as text).
type Command struct {
	// Words are the command and its arguments.
	Words []string
	// Line is the 1-based line in the script.
	Line int
}

// Commands splits a shell script into simple commands. It is a reader of
// the commands this repository writes, not a shell: it follows quotes,
// backslash-newlines, `$( … )`, pipes, `&&`, `||` and `;`, and reports
// the commands inside command substitutions too. Keywords (if, then, for,
// do, …) are skipped; a function definition's body is read as commands.
func Commands(script string) []Command {
	var out []Command
	var words []string
	var word strings.Builder
	inWord := false
	line, start := 1, 1
	flushWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	flush := func() {
		flushWord()
		if c := simplify(words); len(c) > 0 {
			out = append(out, Command{Words: c, Line: start})
		}
		words = nil
	}
	r := []rune(script)
	for i := 0; i < len(r); i++ {
		c := r[i]
		if len(words) == 0 && !inWord {
			start = line
		}
		switch {
		case c == '\\' && i+1 < len(r) && r[i+1] == '\n':
			i++
			line++
		case c == '\n':
			line++
			flush()
		case c == '#' && !inWord:
			for i+1 < len(r) && r[i+1] != '\n' {
				i++
			}
		case c == '(' && inWord && strings.HasSuffix(word.String(), "="):
			// An array assignment, name=( … ): a word, not a subshell.
			end := matchParen(r, i)
			word.WriteString(string(r[i : end+1]))
			line += strings.Count(string(r[i:end]), "\n")
			i = end
		case c == '(' && !inWord && len(words) == 0 && i+1 < len(r) && r[i+1] == '(':
			// An arithmetic command, (( … )): no command in it.
			flush()
			end := matchParen(r, i)
			line += strings.Count(string(r[i:end]), "\n")
			i = end
		case c == ';' || c == '|' || c == '&' || c == '(' || c == ')' || c == '{' && !inWord || c == '}' && !inWord:
			flush()
		case c == '\'':
			inWord = true
			for i++; i < len(r) && r[i] != '\''; i++ {
				if r[i] == '\n' {
					line++
				}
				word.WriteRune(r[i])
			}
		case c == '"':
			inWord = true
			depth := 0
			for i++; i < len(r); i++ {
				if r[i] == '\\' && i+1 < len(r) {
					word.WriteRune(r[i+1])
					i++
					continue
				}
				if r[i] == '"' && depth == 0 {
					break
				}
				if r[i] == '$' && i+1 < len(r) && r[i+1] == '(' {
					// The substitution's commands are read on their own below.
					end := matchParen(r, i+1)
					out = append(out, offsetLines(Commands(string(r[i+2:end])), line-1)...)
					word.WriteString("$(…)")
					line += strings.Count(string(r[i:end]), "\n")
					i = end
					continue
				}
				if r[i] == '\n' {
					line++
				}
				word.WriteRune(r[i])
			}
		case c == '$' && i+1 < len(r) && r[i+1] == '(':
			end := matchParen(r, i+1)
			out = append(out, offsetLines(Commands(string(r[i+2:end])), line-1)...)
			inWord = true
			word.WriteString("$(…)")
			line += strings.Count(string(r[i:end]), "\n")
			i = end
		case c == ' ' || c == '\t':
			flushWord()
		case c == '<' || c == '>':
			// A redirection: drop it and its target.
			flushWord()
			for i+1 < len(r) && (r[i+1] == '>' || r[i+1] == '&' || r[i+1] == '<') {
				i++
			}
			for i+1 < len(r) && (r[i+1] == ' ' || r[i+1] == '\t') {
				i++
			}
			for i+1 < len(r) && !strings.ContainsRune(" \t\n;|&)", r[i+1]) {
				i++
			}
			if len(words) > 0 && isNumber(words[len(words)-1]) {
				words = words[:len(words)-1]
			}
		default:
			inWord = true
			word.WriteRune(c)
		}
	}
	flush()
	return out
}

func offsetLines(cs []Command, by int) []Command {
	for i := range cs {
		cs[i].Line += by
	}
	return cs
}

func matchParen(r []rune, open int) int {
	depth := 0
	for i := open; i < len(r); i++ {
		switch r[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		case '\'':
			for i++; i < len(r) && r[i] != '\''; i++ {
			}
		}
	}
	return len(r) - 1
}

func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// keywords open or close a compound command; the word after some of them
// is a command again.
var keywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "fi": true, "for": true, "while": true, "until": true,
	"do": true, "done": true, "case": true, "esac": true, "!": true, "function": true, "time": true, "in": true,
}

// simplify drops leading keywords, assignments and `sudo`/`env`
// prefixes (with their options), and the loop header of a for.
func simplify(w []string) []string {
	for len(w) > 0 {
		switch {
		case w[0] == "for" || w[0] == "case":
			return nil
		case keywords[w[0]]:
			w = w[1:]
		case strings.Contains(w[0], "=") && !strings.HasPrefix(w[0], "-") && !strings.HasPrefix(w[0], "="):
			w = w[1:]
		case w[0] == "sudo" || w[0] == "env":
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				w = w[1:]
			}
		default:
			if len(w) > 1 && w[1] == "" && strings.HasSuffix(w[0], "()") {
				return nil
			}
			if strings.HasSuffix(w[0], "()") {
				return nil
			}
			return w
		}
	}
	return nil
}
