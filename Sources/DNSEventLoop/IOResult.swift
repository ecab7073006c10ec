/// What a non-blocking system call did: finished with a value, or could not proceed without blocking.
enum IOResult<Value> {
    case processed(Value)
    /// EAGAIN / EWOULDBLOCK: try again when the event loop says the descriptor is ready.
    case wouldBlock
}
