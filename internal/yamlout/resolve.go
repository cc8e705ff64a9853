// resolve is go.yaml.in/yaml/v3's resolve (resolve.go, v3.0.5) reduced to
// the question its encoder asks of a scalar: what would the plain scalar
// read back as? A string that would not read back as a string (true, 1,
// null, 2024-01-01, 0x1F, .inf, ...) is double-quoted; another scalar that
// would not read back as its own kind is written with its tag.
//
//	Copyright (c) 2011-2019 Canonical Ltd
//	Licensed under the Apache License, Version 2.0.

package yamlout

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// resolveTable is the hint of a scalar's first byte: S sign, D digit,
// M in resolveMap, '.' a float perhaps in resolveMap.
var resolveTable = func() (t [256]byte) {
	t['+'], t['-'] = 'S', 'S'
	for _, c := range "0123456789" {
		t[c] = 'D'
	}
	for _, c := range "yYnNtTfFoO~" {
		t[c] = 'M'
	}
	t['.'] = '.'
	return t
}()

// kind is what a plain scalar reads back as: yaml.v3's resolved tag.
type kind uint8

const (
	strKind kind = iota
	nullKind
	boolKind
	intKind
	floatKind
	timestampKind
	mergeKind
)

// kinds are the tags of the node kinds Node makes, by kind.
var kinds = map[string]kind{"!!str": strKind, "!!null": nullKind, "!!bool": boolKind, "!!int": intKind, "!!float": floatKind}

// resolveMap holds the scalars that resolve by name (none of them to a
// string).
var resolveMap = func() map[string]kind {
	m := map[string]kind{}
	for k, l := range map[kind][]string{
		boolKind:  {"true", "True", "TRUE", "false", "False", "FALSE"},
		nullKind:  {"", "~", "null", "Null", "NULL"},
		floatKind: {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"},
		mergeKind: {"<<"},
	} {
		for _, s := range l {
			m[s] = k
		}
	}
	return m
}()

// numberByte holds the bytes of everything a 'D' or 'S' scalar can resolve
// to: decimal, hexadecimal (0x), octal (0o), binary (0b) and underscored
// integers, floats with exponents, and the timestamp layouts (time.Parse
// also takes a comma before fractional seconds).
var numberByte = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEFxXoO_+-.,:tTZ " {
		t[c] = true
	}
	return t
}()

// yamlStyleFloat is compiled when first needed (see base60float).
var yamlStyleFloat = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
})

// resolvesToString reports whether in, written plain, reads back as a
// string.
func resolvesToString(in string) bool { return resolve(in) == strKind }

// resolve is what in, written plain, reads back as.
func resolve(in string) kind {
	hint := byte('N')
	if in != "" {
		hint = resolveTable[in[0]]
	}
	if hint == 0 {
		return strKind
	}
	if k, ok := resolveMap[in]; ok {
		return k
	}
	if hint == 'D' || hint == 'S' {
		// Fast: a byte no number or timestamp holds makes it a string
		// (most such values are quantities: 16Gi, 100m).
		for i := 0; i < len(in); i++ {
			if !numberByte[in[i]] {
				return strKind
			}
		}
	}
	switch hint {
	case '.':
		if _, err := strconv.ParseFloat(in, 64); err == nil {
			return floatKind
		}
	case 'D', 'S':
		if parseTimestamp(in) {
			return timestampKind
		}
		plain := strings.ReplaceAll(in, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return intKind
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return intKind
		}
		if yamlStyleFloat().MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return floatKind
			}
		}
		// Binary, and octal as YAML 1.2 spells it, with an optional minus.
		for _, p := range []struct {
			prefix string
			base   int
		}{{"0b", 2}, {"0o", 8}} {
			if rest, ok := strings.CutPrefix(plain, p.prefix); ok {
				if _, err := strconv.ParseInt(rest, p.base, 64); err == nil {
					return intKind
				}
				if _, err := strconv.ParseUint(rest, p.base, 64); err == nil {
					return intKind
				}
			} else if rest, ok := strings.CutPrefix(plain, "-"+p.prefix); ok {
				if _, err := strconv.ParseInt("-"+rest, p.base, 64); err == nil {
					return intKind
				}
			}
		}
	}
	return strKind
}

// The timestamp formats resolve tries on a plain scalar.
var allowedTimestampFormats = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func parseTimestamp(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range allowedTimestampFormats {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}
