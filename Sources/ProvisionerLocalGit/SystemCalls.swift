// The few POSIX calls this module makes directly (pipes to git helpers, object files), under
// names that do not clash with the methods of the same name.
#if canImport(Glibc)
import Glibc
let systemRead = Glibc.read
let systemWrite = Glibc.write
let systemClose = Glibc.close
#elseif canImport(Musl)
import Musl
let systemRead = Musl.read
let systemWrite = Musl.write
let systemClose = Musl.close
#elseif canImport(Darwin)
import Darwin
let systemRead = Darwin.read
let systemWrite = Darwin.write
let systemClose = Darwin.close
#endif
