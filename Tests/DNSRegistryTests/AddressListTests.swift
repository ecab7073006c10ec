import DNSWire
import Testing

@testable import DNSRegistry

/// `AddressList` stores its first address inline and the others in an array: every length must read back as given,
/// and equal lists must be equal and hash alike however they were built.
struct AddressListTests {
    static let addresses =
        (1...100).map { IPAddress.v4(IPv4Address(0x0A00_0000 + UInt32($0))) }
        + [IPAddress("fd00::1")!]

    @Test(arguments: [0, 1, 2, 3, 100, 101])
    func roundTripsAddressesInOrder(count: Int) {
        let given = Array(Self.addresses.prefix(count))
        let list = AddressList(given)
        #expect(list.count == count)
        #expect(list.isEmpty == (count == 0))
        #expect(Array(list) == given)
        #expect(list.array == given)
        #expect(list.first == given.first)
        for (index, address) in given.enumerated() {
            #expect(list[index] == address)
        }
    }

    @Test func appendingBuildsTheSameListAsAnArray() {
        var appended = AddressList()
        for address in Self.addresses.prefix(3) { appended.append(address) }
        let literal: AddressList = [Self.addresses[0], Self.addresses[1], Self.addresses[2]]
        #expect(appended == literal)
        #expect(appended.hashValue == literal.hashValue)
        #expect(Set([appended, literal, AddressList(Self.addresses.prefix(3))]).count == 1)
    }

    @Test func listsDifferingInAnyAddressOrTheirLengthDiffer() {
        let one: AddressList = [Self.addresses[0]]
        let two: AddressList = [Self.addresses[0], Self.addresses[1]]
        let swapped: AddressList = [Self.addresses[1], Self.addresses[0]]
        #expect(one != two)
        #expect(two != swapped)
        #expect(AddressList() != one)
        #expect(AddressList() == [])
    }

    @Test func anEndpointKeepsItsAddresses() {
        let many = AddressList(Self.addresses)
        let endpoint = Endpoint(addresses: many, ready: false, hostname: "web-0")
        #expect(Array(endpoint.addresses) == Self.addresses)
        #expect(endpoint.hostname == "web-0")
        #expect(!endpoint.ready)
    }

    /// The point of the type: an endpoint stays small enough to share its slice array's stride with no heap of its
    /// own for one address.
    @Test func oneAddressLivesInline() {
        #expect(MemoryLayout<AddressList>.size <= 25)
        #expect(MemoryLayout<Endpoint>.stride <= 48)
    }
}
