// The emitter below is a port of the part of go.yaml.in/yaml/v3's emitter
// (emitterc.go, v3.0.5) that servelayer's output uses: block mappings and
// block sequences, empty collections in flow style, and scalars in plain,
// single-quoted, double-quoted and literal style, with the settings kyaml
// gives the encoder (2-space indent, compact sequences, unlimited width,
// unicode, LF line breaks) and without comments, anchors or tags. Its state
// (column, indent, whitespace, indention, open_ended) and every write
// follow the original function by function, so its bytes are the
// original's; emitter_test.go and FuzzWriter compare them.
//
// emitterc.go is itself a port of libyaml:
//
//	Copyright (c) 2011-2019 Canonical Ltd
//	Copyright (c) 2006-2010 Kirill Simonov
//	Permission is hereby granted, free of charge, to any person obtaining a
//	copy of this software and associated documentation files (the
//	"Software"), to deal in the Software without restriction, including
//	without limitation the rights to use, copy, modify, merge, publish,
//	distribute, sublicense, and/or sell copies of the Software, and to
//	permit persons to whom the Software is furnished to do so, subject to
//	the following conditions: The above copyright notice and this
//	permission notice shall be included in all copies or substantial
//	portions of the Software. (MIT License)

package yamlout

import "unicode/utf8"

// Scalar styles an encoder asks for; the emitter may pick another.
type style uint8

const (
	plainStyle style = iota
	singleQuotedStyle
	doubleQuotedStyle
	literalStyle
)

// bestIndent is kyaml's indent; the width is unlimited (yaml.v3's default).
const bestIndent = 2

// context is what yaml_emitter_emit_node records about the node being
// emitted.
type context struct {
	root, sequence, mapping, simpleKey bool
}

// emitter writes one document. parentSeqItem, passed down instead of the
// original's state stack, is whether the state on top of that stack is
// yaml_EMIT_BLOCK_SEQUENCE_ITEM_STATE (the node is an item of a block
// sequence): the only use the subset makes of the stack.
type emitter struct {
	buf        []byte
	column     int
	indent     int
	indents    []int
	whitespace bool
	indention  bool
	openEnded  bool
	flowLevel  int
	ctx        context
}

// start is yaml_emitter_emit_stream_start for a fresh Encoder.
func (e *emitter) start(buf []byte) {
	*e = emitter{buf: buf, indent: -1, whitespace: true, indention: true, indents: e.indents[:0]}
}

// end is yaml_emitter_emit_document_end for an implicit document end. The
// Encoder's Close then clears open_ended before the stream end, so a
// stream of one document never ends with "...".
func (e *emitter) end() []byte {
	e.writeIndent()
	return e.buf
}

// put writes one ASCII byte.
func (e *emitter) put(c byte) {
	e.buf = append(e.buf, c)
	e.column++
}

func (e *emitter) putBreak() {
	e.buf = append(e.buf, '\n')
	e.column = 0
	e.indention = true
}

// write copies the character at s[i] and returns the index after it.
func (e *emitter) write(s string, i int) int {
	w := width(s[i])
	e.buf = append(e.buf, s[i:i+w]...)
	e.column++
	return i + w
}

func (e *emitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return i + 1
	}
	i = e.write(s, i)
	e.column = 0
	e.indention = true
	return i
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	for e.column < indent {
		n := min(indent-e.column, len(spaces))
		e.buf = append(e.buf, spaces[:n]...)
		e.column += n
	}
	e.whitespace = true
}

const spaces = "                                                                "

func (e *emitter) writeIndicator(indicator string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	for i := 0; i < len(indicator); {
		i = e.write(indicator, i)
	}
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
	e.openEnded = false
}

// increaseIndent is yaml_emitter_increase_indent_compact (indentless is
// always false in the subset).
func (e *emitter) increaseIndent(flow, parentSeqItem, compactSeq bool) {
	e.indents = append(e.indents, e.indent)
	switch {
	case e.indent < 0:
		if flow {
			e.indent = bestIndent
		} else {
			e.indent = 0
		}
	case parentSeqItem:
		e.indent += 2
	default:
		e.indent = bestIndent * ((e.indent + bestIndent) / bestIndent)
		if compactSeq {
			e.indent -= 2
		}
	}
}

func (e *emitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

// emptyFlow writes an empty mapping ("{}") or sequence ("[]"): the
// emitter's choice for a collection whose start and end events are next
// to each other.
func (e *emitter) emptyFlow(ctx context, parentSeqItem bool, open, close string) {
	e.ctx = ctx
	e.writeIndicator(open, true, true, false)
	e.increaseIndent(true, parentSeqItem, false)
	e.flowLevel++
	e.flowLevel--
	e.popIndent()
	if open == "[" && e.column == 0 {
		e.writeIndent()
	}
	e.writeIndicator(close, false, false, false)
}

// beginMapping starts a non-empty block mapping.
func (e *emitter) beginMapping(ctx context, parentSeqItem bool) {
	e.ctx = ctx
	e.increaseIndent(false, parentSeqItem, false)
}

// key writes a mapping key, a string scalar the encoder asks for in style
// want, and the ':' after it; the value follows with context{mapping:
// true}. a is analyze(k).
func (e *emitter) key(k string, a analysis, want style) {
	e.writeIndent()
	if !a.multiline && len(k) <= 128 { // yaml_emitter_check_simple_key
		e.scalarAnalyzed(k, a, want, context{mapping: true, simpleKey: true}, false)
		e.writeIndicator(":", false, false, false)
		return
	}
	e.writeIndicator("?", true, false, true)
	e.scalarAnalyzed(k, a, want, context{mapping: true}, false)
	e.writeIndent()
	e.writeIndicator(":", true, false, true)
}

func (e *emitter) endMapping() { e.popIndent() }

// beginSequence starts a non-empty block sequence.
func (e *emitter) beginSequence(ctx context, parentSeqItem bool) {
	e.ctx = ctx
	compact := ctx.mapping && (e.column == 0 || !e.indention)
	e.increaseIndent(false, parentSeqItem, compact)
}

// item writes the "-" of a sequence item; the item follows with
// context{sequence: true} and parentSeqItem.
func (e *emitter) item() {
	e.writeIndent()
	e.writeIndicator("-", true, false, true)
}

func (e *emitter) endSequence() { e.popIndent() }

// scalar writes a scalar the encoder asked for in the given style.
func (e *emitter) scalar(value string, want style, ctx context, parentSeqItem bool) {
	e.scalarAnalyzed(value, analyze(value), want, ctx, parentSeqItem)
}

func (e *emitter) scalarAnalyzed(value string, a analysis, want style, ctx context, parentSeqItem bool) {
	e.ctx = ctx
	st := selectStyle(value, a, want, ctx, e.flowLevel)
	e.increaseIndent(true, parentSeqItem, false)
	allowBreaks := !ctx.simpleKey
	switch st {
	case plainStyle:
		e.writePlain(value)
	case singleQuotedStyle:
		e.writeSingleQuoted(value, allowBreaks)
	case doubleQuotedStyle:
		e.writeDoubleQuoted(value, allowBreaks)
	case literalStyle:
		e.writeLiteral(value)
	}
	e.popIndent()
}

// selectStyle is yaml_emitter_select_scalar_style for an implicit scalar.
func selectStyle(value string, a analysis, st style, ctx context, flowLevel int) style {
	if ctx.simpleKey && a.multiline {
		st = doubleQuotedStyle
	}
	if st == plainStyle {
		if flowLevel > 0 && !a.flowPlainAllowed || flowLevel == 0 && !a.blockPlainAllowed {
			st = singleQuotedStyle
		}
		if len(value) == 0 && (flowLevel > 0 || ctx.simpleKey) {
			st = singleQuotedStyle
		}
	}
	if st == singleQuotedStyle && !a.singleQuotedAllowed {
		st = doubleQuotedStyle
	}
	if st == literalStyle && (!a.blockAllowed || flowLevel > 0 || ctx.simpleKey) {
		st = doubleQuotedStyle
	}
	return st
}

// analysis is the emitter's scalar_data.
type analysis struct {
	multiline           bool
	flowPlainAllowed    bool
	blockPlainAllowed   bool
	singleQuotedAllowed bool
	blockAllowed        bool
}

// analyze is yaml_emitter_analyze_scalar (unicode on). value must be valid
// UTF-8.
func analyze(value string) analysis {
	if a, ok := analyzeSimple(value); ok {
		return a
	}
	return analyzeScalar(value)
}

// Classes of ASCII bytes for analyzeSimple.
const (
	unsafeByte byte = iota // anything analyzeScalar must look at
	safeByte               // no indicator anywhere in the value
	flowByte               // , ? [ ] { }: a flow indicator after the first byte
	colonByte              // a flow indicator, and a block one before a blank
	laterByte              // an indicator only as the first byte, or after a blank
)

var byteClass = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = safeByte
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = safeByte, safeByte
	}
	for _, c := range "._/=+;()$^~<\\" {
		t[c] = safeByte
	}
	for _, c := range ",?[]{}" {
		t[c] = flowByte
	}
	t[':'] = colonByte
	for _, c := range "#&*!|>'\"%@`-" {
		t[c] = laterByte
	}
	return t
}()

// analyzeSimple is analyzeScalar's answer, fast, for the common value made
// of printable ASCII without blanks whose first byte is no indicator, or
// ok false.
func analyzeSimple(v string) (a analysis, ok bool) {
	if len(v) == 0 || len(v) >= 3 && (v[:3] == "---" || v[:3] == "...") {
		return a, false
	}
	switch byteClass[v[0]] {
	case safeByte:
	case laterByte:
		// "-x" is no indicator; "-" alone is (followed by the end).
		if v[0] != '-' || len(v) == 1 {
			return a, false
		}
	default:
		return a, false
	}
	flow := false
	for i := 1; i < len(v); i++ {
		switch byteClass[v[i]] {
		case safeByte, laterByte: // no blank precedes a '#'
		case flowByte:
			flow = true
		case colonByte:
			if i+1 == len(v) {
				return a, false
			}
			flow = true
		default:
			return a, false
		}
	}
	return analysis{flowPlainAllowed: !flow, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true}, true
}

// analyzeScalar is yaml_emitter_analyze_scalar itself.
func analyzeScalar(value string) analysis {
	if len(value) == 0 {
		return analysis{blockPlainAllowed: true, singleQuotedAllowed: true}
	}
	var (
		blockIndicators, flowIndicators, lineBreaks, specialCharacters, tabCharacters    bool
		leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
		previousSpace, previousBreak                                                     bool
	)
	if len(value) >= 3 && (value[:3] == "---" || value[:3] == "...") {
		blockIndicators = true
		flowIndicators = true
	}
	precededByWhitespace := true
	for i, w := 0, 0; i < len(value); i += w {
		w = width(value[i])
		followedByWhitespace := i+w >= len(value) || isBlank(value, i+w)
		if i == 0 {
			switch value[i] {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowIndicators = true
				blockIndicators = true
			case '?', ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					flowIndicators = true
					blockIndicators = true
				}
			}
		} else {
			switch value[i] {
			case ',', '?', '[', ']', '{', '}':
				flowIndicators = true
			case ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					flowIndicators = true
					blockIndicators = true
				}
			}
		}

		if value[i] == '\t' {
			tabCharacters = true
		} else if !isPrintable(value, i) {
			specialCharacters = true
		}
		if value[i] == ' ' {
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(value) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace = true
			previousBreak = false
		} else if isBreak(value, i) {
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(value) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace = false
			previousBreak = true
		} else {
			previousSpace = false
			previousBreak = false
		}
		precededByWhitespace = isBlankz(value, i)
	}

	a := analysis{multiline: lineBreaks, flowPlainAllowed: true, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
	}
	if spaceBreak || tabCharacters || specialCharacters {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
	}
	if spaceBreak || specialCharacters {
		a.blockAllowed = false
	}
	if lineBreaks {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
	}
	if flowIndicators {
		a.flowPlainAllowed = false
	}
	if blockIndicators {
		a.blockPlainAllowed = false
	}
	return a
}

// The writers leave out the original's line folding: with unlimited width
// the column never exceeds it.

// writePlain is yaml_emitter_write_plain_scalar for the values the
// analysis lets be plain, which hold no line break (so no indent is ever
// written inside one) and no space the unlimited width would fold.
func (e *emitter) writePlain(value string) {
	if len(value) > 0 {
		if !e.whitespace {
			e.put(' ')
		}
		e.buf = append(e.buf, value...)
		e.column += utf8.RuneCountInString(value)
		e.whitespace = false
	}
	e.indention = false
	if e.ctx.root {
		e.openEnded = true
	}
}

func (e *emitter) writeSingleQuoted(value string, _ bool) {
	e.writeIndicator("'", true, false, false)
	breaks := false
	for i := 0; i < len(value); {
		switch {
		case value[i] == ' ':
			i = e.write(value, i)
		case isBreak(value, i):
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(value, i)
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if value[i] == '\'' {
				e.put('\'')
			}
			i = e.write(value, i)
			e.indention = false
			breaks = false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

const hexDigits = "0123456789ABCDEF"

func (e *emitter) writeDoubleQuoted(value string, _ bool) {
	e.writeIndicator(`"`, true, false, false)
	for i := 0; i < len(value); {
		if !isPrintable(value, i) || isBOM(value) || isBreak(value, i) || value[i] == '"' || value[i] == '\\' {
			octet := value[i]
			var w int
			var v rune
			switch {
			case octet&0x80 == 0x00:
				w, v = 1, rune(octet&0x7F)
			case octet&0xE0 == 0xC0:
				w, v = 2, rune(octet&0x1F)
			case octet&0xF0 == 0xE0:
				w, v = 3, rune(octet&0x0F)
			case octet&0xF8 == 0xF0:
				w, v = 4, rune(octet&0x07)
			}
			for k := 1; k < w; k++ {
				v = (v << 6) + (rune(value[i+k]) & 0x3F)
			}
			i += w
			e.put('\\')
			switch v {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0A:
				e.put('n')
			case 0x0b:
				e.put('v')
			case 0x0c:
				e.put('f')
			case 0x0d:
				e.put('r')
			case 0x1b:
				e.put('e')
			case 0x22:
				e.put('"')
			case 0x5c:
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xA0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				if v <= 0xFF {
					e.put('x')
					w = 2
				} else if v <= 0xFFFF {
					e.put('u')
					w = 4
				} else {
					e.put('U')
					w = 8
				}
				for k := (w - 1) * 4; k >= 0; k -= 4 {
					e.put(hexDigits[(v>>uint(k))&0x0F])
				}
			}
			continue
		}
		i = e.write(value, i)
	}
	e.writeIndicator(`"`, false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeLiteral(value string) {
	e.writeIndicator("|", true, false, false)
	// yaml_emitter_write_block_scalar_hints
	if value[0] == ' ' || isBreak(value, 0) {
		e.writeIndicator(string(rune('0'+bestIndent)), false, false, false)
	}
	e.openEnded = false
	var chomp string
	i := len(value) - 1
	for value[i]&0xC0 == 0x80 {
		i--
	}
	switch {
	case !isBreak(value, i):
		chomp = "-"
	case i == 0:
		chomp = "+"
		e.openEnded = true
	default:
		i--
		for value[i]&0xC0 == 0x80 {
			i--
		}
		if isBreak(value, i) {
			chomp = "+"
			e.openEnded = true
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
	e.putBreak() // yaml_emitter_process_line_comment_linebreak, no comment
	e.whitespace = true
	breaks := true
	for i := 0; i < len(value); {
		if isBreak(value, i) {
			i = e.writeBreak(value, i)
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent()
		}
		i = e.write(value, i)
		e.indention = false
		breaks = false
	}
}

// Character classes of yamlprivateh.go. They look ahead at the bytes of a
// multi-byte character, which valid UTF-8 guarantees.

func width(b byte) int {
	switch {
	case b&0x80 == 0x00:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 0
}

func isPrintable(b string, i int) bool {
	return b[i] == 0x0A ||
		(b[i] >= 0x20 && b[i] <= 0x7E) ||
		(b[i] == 0xC2 && b[i+1] >= 0xA0) ||
		(b[i] > 0xC2 && b[i] < 0xED) ||
		(b[i] == 0xED && b[i+1] < 0xA0) ||
		(b[i] == 0xEE) ||
		(b[i] == 0xEF &&
			!(b[i+1] == 0xBB && b[i+2] == 0xBF) &&
			!(b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF)))
}

// isBOM is is_bom, which looks at the start of the value whatever the
// position it is given.
func isBOM(b string) bool {
	return b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF
}

func isBreak(b string, i int) bool {
	return b[i] == '\r' ||
		b[i] == '\n' ||
		b[i] == 0xC2 && b[i+1] == 0x85 ||
		b[i] == 0xE2 && b[i+1] == 0x80 && b[i+2] == 0xA8 ||
		b[i] == 0xE2 && b[i+1] == 0x80 && b[i+2] == 0xA9
}

func isBlank(b string, i int) bool { return b[i] == ' ' || b[i] == '\t' }

// isBlankz is is_blankz: blank, a break, or NUL.
func isBlankz(b string, i int) bool {
	return isBlank(b, i) || isBreak(b, i) || b[i] == 0
}
