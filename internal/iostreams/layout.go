package iostreams

import (
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Width returns the width in columns of the terminal w writes to, or 0 when
// w is not a terminal (or its size is unknown).
func Width(w any) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0
	}
	if file, isFile := w.(*os.File); isFile && file == nil {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// Wrap breaks s at spaces into lines of at most width columns, starting
// every line but the first with indent. A word longer than a line keeps a
// line to itself (a URL is never cut); the space a line is broken at is
// dropped, every other space kept. Newlines in s start new lines;
// width <= 0 leaves the lines as they are (indent still applies).
func Wrap(s string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for p, para := range strings.Split(s, "\n") {
		if p > 0 {
			b.WriteString("\n")
			b.WriteString(indent)
			col = utf8.RuneCountInString(indent)
		}
		hasWord := false // the line holds a word: it may be broken
		for i, word := range strings.Split(para, " ") {
			n := utf8.RuneCountInString(word)
			switch {
			case i == 0:
			case width > 0 && col+1+n > width && hasWord && word != "":
				b.WriteString("\n")
				b.WriteString(indent)
				col = utf8.RuneCountInString(indent)
			default:
				b.WriteString(" ")
				col++
			}
			b.WriteString(word)
			col += n
			hasWord = hasWord || word != ""
		}
	}
	return b.String()
}

// Shorten cuts s to at most width runes by replacing its middle with "…",
// so that both ends stay readable (a URL's host and path end, an id's
// prefix and suffix). width < 2 is taken as 2.
func Shorten(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	if width < 2 {
		width = 2
	}
	head := (width - 1) / 2
	tail := width - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}
