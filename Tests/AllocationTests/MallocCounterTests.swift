import CMallocCounter
import Testing

/// The counter must really see allocations, or a zero from `ResponderAllocationTests` proves nothing.
@Suite struct MallocCounterTests {
    @Test func swiftArrayBetweenStartAndStopIsCounted() {
        let size = Int(CMallocCounter_totalCalls() % 7) + 100
        let before = CMallocCounter_totalCalls()
        CMallocCounter_start()
        let array = [Int](unsafeUninitializedCapacity: size) { buffer, count in
            for index in 0..<size { buffer[index] = index }
            count = size
        }
        let counted = CMallocCounter_stop()
        #expect(array.count == size)
        #expect(counted >= 1)
        #expect(CMallocCounter_totalCalls() > before)
    }

    @Test func nothingIsCountedWhileStopped() {
        CMallocCounter_start()
        _ = CMallocCounter_stop()
        let array = Array(repeating: UInt8(1), count: 4096)
        CMallocCounter_start()
        let counted = CMallocCounter_stop()
        #expect(array.count == 4096)
        #expect(counted == 0)
    }
}
