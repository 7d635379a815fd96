// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Nabla",
    products: [
        .library(name: "Nabla", targets: ["Nabla"]),
        .executable(name: "nabla", targets: ["nabla"]),
    ],
    // `MPI` (off by default): `nabla search` started under mpirun spreads its trials over the
    // ranks through Open MPI. Build with `swift build --traits MPI` (`make mpi`).
    traits: [
        .trait(name: "MPI", description: "Cluster search and data-parallel training through Open MPI (libopenmpi-dev)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        // OpenBLAS's cblas.h (Debian: libopenblas-dev). `make` installs it when missing.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // zlib (Debian: zlib1g-dev), for gzip-compressed data files.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // OpenSSL's libcrypto (Debian: libssl-dev), for MD5 checksums of downloads.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),
        // libpng (Debian: libpng-dev) and libjpeg-turbo (Debian: libjpeg62-turbo-dev), for image folders.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        // Open MPI's C API (Debian: libopenmpi-dev), used only with the MPI trait.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(
            name: "Nabla",
            dependencies: ["CBLAS", "CZlib", "COpenSSL", "CPNG", "CJPEG", .product(name: "Numerics", package: "swift-numerics"),
                           // MPICommunicator (data-parallel training under mpirun), only with the MPI trait.
                           .target(name: "CMPI", condition: .when(traits: ["MPI"]))],
            exclude: ["Resources/README.md"],
            resources: [.copy("Resources/mnist_5k.csv.gz")]
        ),
        .executableTarget(
            name: "nabla",
            dependencies: ["Nabla", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .target(name: "CMPI", condition: .when(traits: ["MPI"]))]
        ),
        .executableTarget(
            name: "NablaBench",
            dependencies: ["Nabla", "CBLAS"],
            path: "Benchmarks/NablaBench"
        ),
        .testTarget(name: "NablaTests", dependencies: ["Nabla"], exclude: ["Resources"]),
    ],
    swiftLanguageModes: [.v5]
)
