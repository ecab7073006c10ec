/// Reads the YAML that Kubernetes manifests are written in straight from the UTF-8 bytes into the `YAMLDocument`s
/// `YAMLComposer` builds from libyaml's events: the same entries in the same order, with the same kinds, lines,
/// styles, tags, bytes, children and root. libyaml's reader and parser were a third of the instructions of a start
/// with 10,000 services, and composing their events another large share (bench/RESULTS.md).
///
/// The subset: `---` and `...` lines, comments, block mappings and sequences by indentation (`- key: value` items,
/// `key:` followed by a sequence at its own indentation), plain and quoted scalars on one line, flow sequences and
/// mappings on one line, empty values. Anything else, or anything it is not sure libyaml reads the same way, makes it
/// give up on the whole text (`Outcome.outsideSubset`): anchors, aliases, tags, directives, block scalars, scalars or
/// flow collections over several lines, escapes but `\\ \" \/ \n \t`, tabs, carriage returns, control characters, a
/// byte-order mark, `?` keys, nesting at `YAMLComposer.maxNestingDepth`, and every syntax error, so that libyaml
/// reports problems in its words and at its lines as it always has.
///
/// The whole text is checked before the outcome is known, so `compose` keeps `YAMLComposer.compose`'s order of
/// problems: it hands documents to `body` as it reads them, but throws a document problem only at the end, and when
/// it gives up the caller must drop what `body` did and compose the text with libyaml.
enum BlockYAMLScanner {
    enum Outcome {
        /// Every document went to `body`, up to the first document problem (then thrown).
        case composed
        /// The text is not in the subset: what `body` was given does not count.
        case outsideSubset
    }

    /// Calls `body` with each document of `text` in order, as `YAMLComposer.compose` would, or gives up.
    static func compose(
        _ text: String, _ body: (YAMLDocument.Box) throws(ManifestIssue) -> Void
    ) throws(ManifestIssue) -> Outcome {
        var text = text
        let result = text.withUTF8 { buffer in compose(buffer, body) }
        return try result.get()
    }

    private static func compose(
        _ buffer: UnsafeBufferPointer<UInt8>, _ body: (YAMLDocument.Box) throws(ManifestIssue) -> Void
    ) -> Result<Outcome, ManifestIssue> {
        guard holdsOnlyPlainCharacters(buffer) else { return .success(.outsideSubset) }
        var problem: ManifestIssue?
        do throws(OutsideSubset) {
            var scanner = try Scanner(buffer)
            while let document = try scanner.nextDocument() {
                // After the first problem the rest is only checked, as the composer does.
                guard problem == nil else { continue }
                if let duplicate = scanner.duplicateKeyProblem {
                    problem = duplicate
                    continue
                }
                do throws(ManifestIssue) {
                    try body(YAMLDocument.Box(document))
                } catch {
                    problem = error
                }
            }
        } catch {
            return .success(.outsideSubset)
        }
        if let problem { return .failure(problem) }
        return .success(.composed)
    }

    /// True when every byte is printable ASCII or a line feed, or part of a well-formed UTF-8 character that libyaml
    /// reads as printable and not as a line break (it also treats U+0085, U+2028 and U+2029 as breaks) or a
    /// byte-order mark. Tabs and carriage returns are left to libyaml too.
    static func holdsOnlyPlainCharacters(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = text.baseAddress else { return true }
        let count = text.count
        var index = 0
        while index < count {
            // Eight bytes at a time while they are all printable ASCII (most of a manifest but its line feeds).
            if index + 8 <= count
                && isPrintableASCII(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            {
                index += 8
                continue
            }
            let lead = text[index]
            if lead < 0x80 {
                guard (lead >= 0x20 && lead < 0x7F) || lead == ASCII.newline else { return false }
                index += 1
                continue
            }
            guard let length = printableCharacterLength(text, at: index) else { return false }
            index += length
        }
        return true
    }

    /// True when no byte of `word` has its high bit set, is below 0x20 or is 0x7F. The "has less than" and "has
    /// zero byte" tests of Bit Twiddling Hacks: exact for the word as a whole once high bits are ruled out.
    @inline(__always)
    private static func isPrintableASCII(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let belowSpace = (word &- ones &* 0x20) & ~word & highBits
        let delete = word ^ (ones &* 0x7F)
        let hasDelete = (delete &- ones) & ~delete & highBits
        return (word & highBits) | belowSpace | hasDelete == 0
    }

    /// The length of the UTF-8 character at `index` when it is well formed and printable to libyaml.
    private static func printableCharacterLength(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let lead = text[index]
        let length: Int
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF: (length, scalar) = (2, UInt32(lead & 0x1F))
        case 0xE0...0xEF: (length, scalar) = (3, UInt32(lead & 0x0F))
        case 0xF0...0xF4: (length, scalar) = (4, UInt32(lead & 0x07))
        default: return nil
        }
        guard index + length <= text.count else { return nil }
        for offset in 1..<length {
            let continuation = text[index + offset]
            guard continuation & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(continuation & 0x3F)
        }
        // Overlong forms and surrogates are not UTF-8; the rest are libyaml's printable ranges.
        let shortest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard scalar >= shortest, scalar >= 0xA0, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar),
            scalar != 0x2028, scalar != 0x2029, scalar != 0xFEFF, scalar != 0xFFFE, scalar != 0xFFFF
        else { return nil }
        return length
    }
}

/// Thrown inside the scanner when the text leaves the subset.
private struct OutsideSubset: Error {}

private enum ASCII {
    static let newline = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let hash = UInt8(ascii: "#")
    static let dash = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let singleQuote = UInt8(ascii: "'")
    static let doubleQuote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let lessThan = UInt8(ascii: "<")
    /// What `byte(at:)` returns past the end; the text holds no NUL (`holdsOnlyPlainCharacters`).
    static let end: UInt8 = 0
}

/// The cursor and the document being built. Each `block…` and `flow…` function reads one node from the cursor and
/// returns its entry; a block node leaves the cursor at the start of the next content line (`indent`, `marker`).
private struct Scanner {
    /// What the line at the cursor is, once blank and comment lines are skipped.
    enum Marker {
        case none, documentStart, documentEnd, end
    }

    /// A key longer than this may not be a simple key to libyaml (1024 characters to its `:`); bytes are never fewer
    /// than characters.
    static let maxKeyLength = 1000

    let text: UnsafeBufferPointer<UInt8>
    var position = 0
    /// 1-based line of `position`.
    var line: Int32 = 1
    var lineStart = 0
    /// Column of the current content line's first byte; -1 at a document marker or the end, which close every block.
    var indent = -1
    var marker = Marker.none
    var document = YAMLDocument()
    /// Finished children of the open collections, innermost last (as in the composer).
    var pending: [Int32] = []
    var depth = 0
    /// The first key given twice in a mapping of the last document returned, as the composer reports it.
    var duplicateKeyProblem: ManifestIssue?
    var hasReadDocument = false
    var lastDocumentSize = (entries: 0, children: 0, bytes: 0)

    init(_ text: UnsafeBufferPointer<UInt8>) throws(OutsideSubset) {
        self.text = text
        try moveToContentLine()
    }

    // MARK: - Documents

    /// The next document, or nil at the end of the text.
    mutating func nextDocument() throws(OutsideSubset) -> YAMLDocument? {
        if hasReadDocument {
            // libyaml skips extra `...` lines between documents.
            while marker == .documentEnd { try skipMarkerLine() }
        }
        document = YAMLDocument()
        // A file's documents are much alike: room for the last one's size spares most of the arrays' regrowth.
        document.entries.reserveCapacity(lastDocumentSize.entries)
        document.children.reserveCapacity(lastDocumentSize.children)
        document.bytes.reserveCapacity(lastDocumentSize.bytes)
        duplicateKeyProblem = nil
        let root: Int32
        switch marker {
        case .end:
            return nil
        case .documentEnd:
            throw OutsideSubset()  // `...` before any document is a syntax error
        case .none:
            // After `...`, the next document must start with `---`.
            guard !hasReadDocument else { throw OutsideSubset() }
            root = try blockNode(parentIndent: -1)
        case .documentStart:
            try skipMarkerLine()
            if marker == .none {
                root = try blockNode(parentIndent: -1)
            } else {
                // libyaml gives an empty document an empty scalar at the next token: the marker, or the end.
                root = emptyScalar(line: marker == .end ? endOfTextLine : line)
            }
        }
        guard marker != .none else { throw OutsideSubset() }
        if marker == .documentEnd { try skipMarkerLine() }
        hasReadDocument = true
        lastDocumentSize = (document.entries.count, document.children.count, document.bytes.count)
        document.root = root
        let finished = document
        document = YAMLDocument()
        return finished
    }

    /// The line libyaml gives the end of the stream: the one after the last line break, or after the last line when
    /// the text does not end with a break.
    var endOfTextLine: Int32 {
        var breaks: Int32 = 0
        for byte in text where byte == ASCII.newline { breaks += 1 }
        return breaks + 1 + (text.last == ASCII.newline ? 0 : 1)
    }

    mutating func skipMarkerLine() throws(OutsideSubset) {
        position += 3
        try finishLine()
    }

    // MARK: - Lines

    @inline(__always)
    func byte(at offset: Int) -> UInt8 {
        offset < text.count ? text[offset] : ASCII.end
    }

    @inline(__always)
    var current: UInt8 { byte(at: position) }

    @inline(__always)
    func isBlankOrLineEnd(at offset: Int) -> Bool {
        let byte = byte(at: offset)
        return byte == ASCII.space || byte == ASCII.newline || byte == ASCII.end
    }

    mutating func skipSpaces() {
        while current == ASCII.space { position += 1 }
    }

    /// Ends the line after a node: spaces, a comment after a space, the line break; then moves to the next content
    /// line.
    mutating func finishLine() throws(OutsideSubset) {
        let afterNode = position
        skipSpaces()
        if current == ASCII.hash {
            // libyaml also takes `"a"#b` as a comment; that is no manifest's spelling.
            guard position > afterNode else { throw OutsideSubset() }
            while current != ASCII.newline && current != ASCII.end { position += 1 }
        }
        guard current == ASCII.newline || current == ASCII.end else { throw OutsideSubset() }
        try moveToContentLine()
    }

    /// From the start of a line or a line's end, past blank and comment lines, to the first byte of the next line
    /// with content; sets `indent` and `marker`.
    mutating func moveToContentLine() throws(OutsideSubset) {
        while true {
            skipSpaces()
            switch current {
            case ASCII.newline:
                position += 1
                line += 1
                lineStart = position
            case ASCII.hash:
                while current != ASCII.newline && current != ASCII.end { position += 1 }
            case ASCII.end:
                indent = -1
                marker = .end
                return
            default:
                indent = position - lineStart
                marker = .none
                if indent == 0 { try readDocumentMarker() }
                return
            }
        }
    }

    /// `---` or `...` at the start of a line, followed by a blank or the line's end. Other text starting with three
    /// dashes or dots is left to libyaml.
    mutating func readDocumentMarker() throws(OutsideSubset) {
        let first = current
        guard first == ASCII.dash || first == ASCII.dot, byte(at: position + 1) == first,
            byte(at: position + 2) == first
        else { return }
        guard isBlankOrLineEnd(at: position + 3) else { throw OutsideSubset() }
        marker = first == ASCII.dash ? .documentStart : .documentEnd
        indent = -1
    }

    /// `- ` or a `-` ending its line: a block sequence entry.
    func isBlockEntry(at offset: Int) -> Bool {
        byte(at: offset) == ASCII.dash && isBlankOrLineEnd(at: offset + 1)
    }

    // MARK: - Block nodes

    /// The node at the cursor, the first byte of a content line, inside block collections whose innermost
    /// indentation is `parentIndent` (-1 for a document's root).
    mutating func blockNode(parentIndent: Int) throws(OutsideSubset) -> Int32 {
        let column = indent
        if isBlockEntry(at: position) { return try blockSequence(column: column, isIndentless: false) }
        if mappingKeyColon() != nil { return try blockMapping(column: column) }
        return try inlineNode(parentIndent: parentIndent)
    }

    /// Where the `:` of `key: ` is when the cursor is at a one-line key (plain or quoted) followed by one.
    func mappingKeyColon() -> Int? {
        var offset = position
        let first = byte(at: offset)
        if first == ASCII.singleQuote || first == ASCII.doubleQuote {
            offset += 1
            while true {
                let byte = byte(at: offset)
                if byte == ASCII.newline || byte == ASCII.end { return nil }
                offset += 1
                if byte == first {
                    // A doubled quote is a quote inside single quotes.
                    guard first == ASCII.singleQuote, self.byte(at: offset) == ASCII.singleQuote else { break }
                    offset += 1
                } else if byte == ASCII.backslash && first == ASCII.doubleQuote {
                    offset += 1
                }
            }
            while byte(at: offset) == ASCII.space { offset += 1 }
            return byte(at: offset) == ASCII.colon && isBlankOrLineEnd(at: offset + 1) ? offset : nil
        }
        if first == ASCII.openBracket || first == ASCII.openBrace { return nil }
        while true {
            let byte = byte(at: offset)
            if byte == ASCII.newline || byte == ASCII.end { return nil }
            if byte == ASCII.colon && isBlankOrLineEnd(at: offset + 1) { return offset }
            if byte == ASCII.space && self.byte(at: offset + 1) == ASCII.hash { return nil }
            offset += 1
        }
    }

    /// A block mapping whose keys start at `column`; the cursor is at its first key.
    mutating func blockMapping(column: Int) throws(OutsideSubset) -> Int32 {
        let node = try openCollection(.mapping)
        let firstChild = pending.count
        repeat {
            guard let colon = mappingKeyColon(), colon - position <= Self.maxKeyLength else {
                throw OutsideSubset()
            }
            let key = try inlineScalar(inFlow: false)
            skipSpaces()
            guard position == colon else { throw OutsideSubset() }
            position += 1
            pending.append(key)
            pending.append(try blockValue(mappingColumn: column))
        } while indent == column && !isBlockEntry(at: position)
        // A deeper line, or a `-` at the keys' column that is not the value of a `key:` alone on its line.
        guard indent < column else { throw OutsideSubset() }
        return closeCollection(node, firstChild: firstChild)
    }

    /// The value after a block mapping's `key:`: on the same line, on the lines below, a sequence at the keys' own
    /// column, or nothing (an empty plain scalar at the `:`'s line, as libyaml gives it).
    mutating func blockValue(mappingColumn: Int) throws(OutsideSubset) -> Int32 {
        var offset = position
        while byte(at: offset) == ASCII.space { offset += 1 }
        let next = byte(at: offset)
        guard next == ASCII.newline || next == ASCII.end || next == ASCII.hash else {
            position = offset
            return try inlineNode(parentIndent: mappingColumn)
        }
        let colonLine = line
        try finishLine()
        if indent > mappingColumn { return try blockNode(parentIndent: mappingColumn) }
        if indent == mappingColumn && isBlockEntry(at: position) {
            return try blockSequence(column: mappingColumn, isIndentless: true)
        }
        return emptyScalar(line: colonLine)
    }

    /// A block sequence whose `-` are at `column`; the cursor is at its first `-`. An indentless one (the value of a
    /// mapping key at the key's own column) ends at the next key of that mapping.
    mutating func blockSequence(column: Int, isIndentless: Bool) throws(OutsideSubset) -> Int32 {
        let node = try openCollection(.sequence)
        let firstChild = pending.count
        repeat {
            let dashLine = line
            position += 1
            pending.append(try sequenceItem(column: column, dashLine: dashLine))
        } while indent == column && isBlockEntry(at: position)
        guard indent < column || (isIndentless && indent == column) else { throw OutsideSubset() }
        return closeCollection(node, firstChild: firstChild)
    }

    /// What follows a `-`: a node on the same line (a nested `- `, a `key: ` starting a mapping there, or a one-line
    /// value), a node on the lines below, or nothing (an empty plain scalar at the `-`'s line).
    mutating func sequenceItem(column: Int, dashLine: Int32) throws(OutsideSubset) -> Int32 {
        var offset = position
        while byte(at: offset) == ASCII.space { offset += 1 }
        let next = byte(at: offset)
        if next == ASCII.newline || next == ASCII.end || next == ASCII.hash {
            try finishLine()
            if indent > column { return try blockNode(parentIndent: column) }
            return emptyScalar(line: dashLine)
        }
        position = offset
        let itemColumn = position - lineStart
        if isBlockEntry(at: position) { return try blockSequence(column: itemColumn, isIndentless: false) }
        if mappingKeyColon() != nil { return try blockMapping(column: itemColumn) }
        return try inlineNode(parentIndent: column)
    }

    /// A scalar or flow collection that is all the rest of its line. A plain scalar would go on on a deeper next
    /// line, and anything else there is an error, so the next content line must not be deeper than `parentIndent`.
    mutating func inlineNode(parentIndent: Int) throws(OutsideSubset) -> Int32 {
        let node: Int32
        switch current {
        case ASCII.openBracket: node = try flowSequence()
        case ASCII.openBrace: node = try flowMapping()
        default: node = try inlineScalar(inFlow: false)
        }
        try finishLine()
        guard indent <= parentIndent else { throw OutsideSubset() }
        return node
    }

    // MARK: - Flow collections on one line

    mutating func flowSequence() throws(OutsideSubset) -> Int32 {
        let node = try openCollection(.sequence)
        let firstChild = pending.count
        position += 1
        skipSpaces()
        if current == ASCII.closeBracket {
            position += 1
            return closeCollection(node, firstChild: firstChild)
        }
        while true {
            pending.append(try flowNode())
            skipSpaces()
            // `[a: b]` is a one-pair mapping in a sequence; that is left to libyaml.
            if current == ASCII.closeBracket { break }
            try skipFlowEntrySeparator(before: ASCII.closeBracket)
        }
        position += 1
        return closeCollection(node, firstChild: firstChild)
    }

    mutating func flowMapping() throws(OutsideSubset) -> Int32 {
        let node = try openCollection(.mapping)
        let firstChild = pending.count
        position += 1
        skipSpaces()
        if current == ASCII.closeBrace {
            position += 1
            return closeCollection(node, firstChild: firstChild)
        }
        while true {
            let keyStart = position
            let key = try inlineScalar(inFlow: true)
            skipSpaces()
            // `{a:1}` and `{"a":1}`, keys without values and empty values are left to libyaml.
            guard current == ASCII.colon, byte(at: position + 1) == ASCII.space,
                position - keyStart <= Self.maxKeyLength
            else { throw OutsideSubset() }
            position += 1
            skipSpaces()
            let value = try flowNode()
            pending.append(key)
            pending.append(value)
            skipSpaces()
            if current == ASCII.closeBrace { break }
            try skipFlowEntrySeparator(before: ASCII.closeBrace)
        }
        position += 1
        return closeCollection(node, firstChild: firstChild)
    }

    /// The `,` between two entries of a flow collection; a trailing `,` is left to libyaml.
    mutating func skipFlowEntrySeparator(before closing: UInt8) throws(OutsideSubset) {
        guard current == ASCII.comma else { throw OutsideSubset() }
        position += 1
        skipSpaces()
        guard current != closing, current != ASCII.comma else { throw OutsideSubset() }
    }

    mutating func flowNode() throws(OutsideSubset) -> Int32 {
        switch current {
        case ASCII.openBracket: try flowSequence()
        case ASCII.openBrace: try flowMapping()
        default: try inlineScalar(inFlow: true)
        }
    }

    // MARK: - Scalars on one line

    /// A quoted or plain scalar at the cursor; the cursor ends after its closing quote or its last non-blank byte.
    mutating func inlineScalar(inFlow: Bool) throws(OutsideSubset) -> Int32 {
        switch current {
        case ASCII.singleQuote, ASCII.doubleQuote: try quotedScalar()
        default: try plainScalar(inFlow: inFlow)
        }
    }

    /// A plain scalar: it ends at a line's end, at ` #`, at `: ` (or `:` ending the line), and in a flow collection
    /// at `,[]{}`.
    mutating func plainScalar(inFlow: Bool) throws(OutsideSubset) -> Int32 {
        let start = position
        switch current {
        case ASCII.dash:
            // `-1`, `--flag`, `-.5`: libyaml takes a `-` followed by anything but a blank as text; the rest is left
            // to it.
            let next = byte(at: position + 1)
            guard next == ASCII.dash || next == ASCII.dot || isAlphanumeric(next) else { throw OutsideSubset() }
        case UInt8(ascii: "?"), ASCII.colon, ASCII.comma, ASCII.openBracket, ASCII.closeBracket, ASCII.openBrace,
            ASCII.closeBrace, ASCII.hash, UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"),
            UInt8(ascii: ">"), ASCII.singleQuote, ASCII.doubleQuote, UInt8(ascii: "%"), UInt8(ascii: "@"),
            UInt8(ascii: "`"), ASCII.space, ASCII.newline, ASCII.end:
            // Indicators: anchors, aliases, tags, block scalars, directives, complex keys, reserved, or no scalar.
            throw OutsideSubset()
        default:
            break
        }
        var end = position
        scan: while true {
            switch current {
            case ASCII.newline, ASCII.end:
                break scan
            case ASCII.space:
                if byte(at: position + 1) == ASCII.hash { break scan }
                position += 1
                continue scan
            case ASCII.colon:
                let next = byte(at: position + 1)
                if next == ASCII.space || next == ASCII.newline || next == ASCII.end { break scan }
                // In a flow collection `image: registry/web:1` is text, but libyaml refuses `a:,` `a:?` `a:[` `a:]`
                // `a:{` `a:}`, whose reading has changed between its versions.
                if inFlow
                    && (next == ASCII.comma || next == UInt8(ascii: "?") || next == ASCII.openBracket
                        || next == ASCII.closeBracket || next == ASCII.openBrace || next == ASCII.closeBrace)
                {
                    throw OutsideSubset()
                }
            case ASCII.comma, ASCII.openBracket, ASCII.closeBracket, ASCII.openBrace, ASCII.closeBrace:
                if inFlow { break scan }
            default:
                break
            }
            position += 1
            end = position
        }
        position = end
        return appendScalar(start..<end, isPlain: true)
    }

    /// A single- or double-quoted scalar closed on its line, with `''` inside single quotes and the escapes
    /// `\\ \" \/ \n \t` inside double quotes.
    mutating func quotedScalar() throws(OutsideSubset) -> Int32 {
        let quote = current
        let node = Int32(document.entries.count)
        let start = document.bytes.count
        position += 1
        var segment = position
        while true {
            let byte = current
            if byte == ASCII.newline || byte == ASCII.end { throw OutsideSubset() }
            if byte == quote {
                appendBytes(segment..<position)
                position += 1
                guard quote == ASCII.singleQuote, current == ASCII.singleQuote else { break }
                document.bytes.append(ASCII.singleQuote)
                position += 1
                segment = position
            } else if byte == ASCII.backslash && quote == ASCII.doubleQuote {
                appendBytes(segment..<position)
                let escaped: UInt8
                switch self.byte(at: position + 1) {
                case ASCII.backslash: escaped = ASCII.backslash
                case ASCII.doubleQuote: escaped = ASCII.doubleQuote
                case UInt8(ascii: "/"): escaped = UInt8(ascii: "/")
                case UInt8(ascii: "n"): escaped = ASCII.newline
                case UInt8(ascii: "t"): escaped = UInt8(ascii: "\t")
                default: throw OutsideSubset()
                }
                document.bytes.append(escaped)
                position += 2
                segment = position
            } else {
                position += 1
            }
        }
        document.entries.append(
            YAMLDocument.Entry(
                kind: .scalar, isPlain: false, tag: YAMLDocument.stringTag, line: line, start: Int32(start),
                count: Int32(document.bytes.count - start)))
        return node
    }

    func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default: false
        }
    }

    // MARK: - Building the document

    mutating func appendBytes(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        document.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[range]))
    }

    /// A plain or empty scalar of `range`, at the cursor's line; a plain `<<` is a merge key, as the composer tags it.
    mutating func appendScalar(_ range: Range<Int>, isPlain: Bool) -> Int32 {
        let node = Int32(document.entries.count)
        let isMergeKey =
            isPlain && range.count == 2 && text[range.lowerBound] == ASCII.lessThan
            && text[range.lowerBound + 1] == ASCII.lessThan
        document.entries.append(
            YAMLDocument.Entry(
                kind: .scalar, isPlain: isPlain, tag: isMergeKey ? YAMLDocument.mergeTag : YAMLDocument.stringTag,
                line: line, start: Int32(document.bytes.count), count: Int32(range.count)))
        appendBytes(range)
        return node
    }

    /// The empty plain scalar libyaml gives a missing value, at `line`.
    mutating func emptyScalar(line: Int32) -> Int32 {
        let node = Int32(document.entries.count)
        document.entries.append(
            YAMLDocument.Entry(
                kind: .scalar, isPlain: true, tag: YAMLDocument.stringTag, line: line,
                start: Int32(document.bytes.count), count: 0))
        return node
    }

    /// A collection starting at the cursor's line; nesting as deep as the composer's limit is left to it.
    mutating func openCollection(_ kind: YAMLDocument.Kind) throws(OutsideSubset) -> Int32 {
        guard depth < YAMLComposer.maxNestingDepth else { throw OutsideSubset() }
        depth += 1
        let node = Int32(document.entries.count)
        document.entries.append(
            YAMLDocument.Entry(
                kind: kind, isPlain: false, tag: kind == .mapping ? YAMLDocument.mapTag : YAMLDocument.sequenceTag,
                line: line, start: 0, count: 0))
        return node
    }

    /// Moves the collection's children from `pending` into the document, as the composer does at its end event, and
    /// checks a mapping's keys.
    mutating func closeCollection(_ node: Int32, firstChild: Int) -> Int32 {
        depth -= 1
        document.entries[Int(node)].start = Int32(document.children.count)
        document.entries[Int(node)].count = Int32(pending.count - firstChild)
        document.children.append(contentsOf: pending[firstChild...])
        pending.removeSubrange(firstChild...)
        if duplicateKeyProblem == nil, document.entries[Int(node)].kind == .mapping {
            duplicateKeyProblem = document.duplicateKeyIssue(in: node)
        }
        return node
    }
}
