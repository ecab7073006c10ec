import Foundation

/// A small C program that resolves each of its arguments with `getaddrinfo` (AF_UNSPEC, as most programs ask) and
/// prints one `NAME ADDRESS` line per address, or `NAME error REASON`, exiting 1 when any name failed. Built with
/// `musl-gcc`, it shows what a pod on an Alpine image sees: musl's stub resolver, not glibc's.
public enum GetaddrinfoProgram {
    public enum BuildError: Error, CustomStringConvertible {
        /// No such compiler on this machine: the caller skips, saying why.
        case compilerMissing(String)
        /// The compiler is there but the build failed: a real failure.
        case failed(String)

        public var description: String {
            switch self {
            case .compilerMissing(let compiler):
                "\(compiler) is not installed (scripts/ensure-deps --test installs musl-tools)"
            case .failed(let output): "building the getaddrinfo program failed:\n\(output)"
            }
        }
    }

    public static let source = """
        #include <arpa/inet.h>
        #include <netdb.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/socket.h>

        int main(int argc, char **argv) {
            int failed = 0;
            for (int i = 1; i < argc; i++) {
                struct addrinfo hints, *result, *entry;
                memset(&hints, 0, sizeof hints);
                hints.ai_family = AF_UNSPEC;
                /* One socket type, so each address comes once rather than once per protocol. */
                hints.ai_socktype = SOCK_STREAM;
                int status = getaddrinfo(argv[i], NULL, &hints, &result);
                if (status != 0) {
                    printf("%s error %s\\n", argv[i], gai_strerror(status));
                    failed = 1;
                    continue;
                }
                for (entry = result; entry != NULL; entry = entry->ai_next) {
                    char text[INET6_ADDRSTRLEN];
                    const void *address = entry->ai_family == AF_INET
                        ? (const void *)&((struct sockaddr_in *)entry->ai_addr)->sin_addr
                        : (const void *)&((struct sockaddr_in6 *)entry->ai_addr)->sin6_addr;
                    if (inet_ntop(entry->ai_family, address, text, sizeof text) != NULL) {
                        printf("%s %s\\n", argv[i], text);
                    }
                }
                freeaddrinfo(result);
            }
            return failed;
        }

        """

    /// Compiles the program with `compiler` into `directory`, statically linked so it needs no musl loader at run
    /// time, and returns the binary's path.
    public static func build(
        with compiler: String = "musl-gcc", in directory: TemporaryDirectory
    ) throws(BuildError) -> String {
        guard ChildProcess.which(compiler) != nil else { throw .compilerMissing(compiler) }
        let binary = directory.path + "/getaddrinfo"
        do {
            let sourcePath = try directory.write("getaddrinfo.c", source)
            let result = try ChildProcess.run(
                compiler, ["-static", "-O1", "-Wall", "-o", binary, sourcePath], timeout: .seconds(60))
            guard result.status == 0, FileManager.default.isExecutableFile(atPath: binary) else {
                throw BuildError.failed(result.output)
            }
        } catch let error as BuildError {
            throw error
        } catch {
            throw .failed("\(error)")
        }
        return binary
    }

    /// The addresses per name from the program's output (`NAME ADDRESS` lines; error lines are left out).
    public static func addresses(in output: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            result[String(fields[0]), default: []].insert(String(fields[1]))
        }
        return result
    }
}
