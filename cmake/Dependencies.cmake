# Every third-party package comes from Debian 12 (scripts/lib/deps.sh installs them).
find_package(Threads REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)   # target: yaml-cpp (no namespace in 0.7)
find_package(CLI11 CONFIG REQUIRED)
find_package(date CONFIG REQUIRED)       # date::date-tz, built with USE_OS_TZDB=1
find_package(OpenSSL REQUIRED COMPONENTS Crypto)  # OpenSSL::Crypto: rpc auth (HMAC, RAND)
if(LTS_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  include(GoogleTest)
endif()
if(LTS_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

# Storage, registry and compression libraries (Debian 12 -dev packages; see scripts/lib/deps.sh).
find_package(PkgConfig REQUIRED)
find_package(SQLite3 REQUIRED)                                    # SQLite::SQLite3: job store
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)           # PkgConfig::LIBPQ: job store
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)       # PkgConfig::HIREDIS: registry
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)            # PkgConfig::LZ4: ltsdb
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)          # PkgConfig::ZSTD: ltsdb
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)   # PkgConfig::HTTPLIB: admin HTTP
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)      # PkgConfig::SODIUM: admin argon2id

# jemalloc: the allocator of the lts binary and bench_e2e (never of the SDK libraries: a user's
# program keeps its own malloc). glibc's malloc was ~30% of the CPU of a no-op job end to end
# (alloc on one thread, free on another); see docs/tasktracker.md. Off in sanitizer and fuzz
# builds (they bring their own allocator). -DLTS_JEMALLOC=OFF links glibc's malloc.
option(LTS_JEMALLOC "Link the lts binary and bench_e2e with jemalloc" ON)
if(LTS_SANITIZE OR LTS_SANITIZE_THREAD OR LTS_FUZZ)
  set(LTS_JEMALLOC OFF)
endif()
if(LTS_JEMALLOC)
  pkg_check_modules(JEMALLOC IMPORTED_TARGET jemalloc)
  if(NOT JEMALLOC_FOUND)
    message(FATAL_ERROR "LTS_JEMALLOC=ON but jemalloc was not found (Debian package "
                        "libjemalloc-dev); install it or pass -DLTS_JEMALLOC=OFF")
  endif()
endif()
# lts_link_allocator(<target>): links jemalloc into an executable when LTS_JEMALLOC is on.
function(lts_link_allocator target)
  if(LTS_JEMALLOC)
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()
# The ZooKeeper C client ships no CMake or pkg-config file. The multi-threaded library must be
# compiled against with THREADED defined (zookeeper.h then declares the sync API).
find_path(ZOOKEEPER_INCLUDE_DIR zookeeper/zookeeper.h REQUIRED)
find_library(ZOOKEEPER_MT_LIBRARY zookeeper_mt REQUIRED)
add_library(lts::zookeeper UNKNOWN IMPORTED)
set_target_properties(lts::zookeeper PROPERTIES
  IMPORTED_LOCATION "${ZOOKEEPER_MT_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${ZOOKEEPER_INCLUDE_DIR}"
  INTERFACE_COMPILE_DEFINITIONS THREADED)
# LevelDB and RocksDB: benchmark peers and optional FailStore engines only.
find_package(leveldb CONFIG REQUIRED)                             # leveldb::leveldb
find_package(RocksDB CONFIG REQUIRED)                             # RocksDB::rocksdb
