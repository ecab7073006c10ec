// libFuzzer target for the DNSWire decoder; built by `scripts/fuzz` together with `Sources/DNSWire/*.swift` as one
// module, so it calls the codec directly.
//
// Property: whatever `Message(decoding:)` accepts, `encoded()` turns into bytes that decode again to the same message.
// Any trap, sanitizer report or broken round trip is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let message = try? Message(decoding: input) else { return 0 }
    let encoded = message.encoded()
    let again: Message
    do {
        again = try Message(decoding: encoded)
    } catch {
        fatalError("re-encoded message does not decode: \(error)")
    }
    guard again == message else {
        fatalError("round trip changed the message:\n\(message)\n\(again)")
    }
    return 0
}
