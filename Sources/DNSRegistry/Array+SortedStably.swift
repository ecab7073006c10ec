extension Array {
    /// Sorted by `areInIncreasingOrder`, equal elements keeping their relative order, so that snapshots built from the
    /// same objects are identical whatever the sort algorithm does with ties.
    func sortedStably(by areInIncreasingOrder: (Element, Element) -> Bool) -> [Element] {
        enumerated()
            .sorted { lhs, rhs in
                if areInIncreasingOrder(lhs.element, rhs.element) { return true }
                if areInIncreasingOrder(rhs.element, lhs.element) { return false }
                return lhs.offset < rhs.offset
            }
            .map(\.element)
    }
}
