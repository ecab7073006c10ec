extension String {
    /// The NUL-terminated text a C function wrote into `buffer` (error messages of the TLS shim).
    init(cStringBuffer buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
