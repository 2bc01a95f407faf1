# libFuzzer targets. -DLTS_FUZZ=ON (clang only) instruments every target for coverage with
# ASan + UBSan and builds build/bin/fuzz_<name>; scripts/test.sh runs them (phase fuzz).
# Without LTS_FUZZ, each fuzz target is built as fuzz_<name>_replay, which runs the
# target's seed corpus once as a unit test, so that the target keeps compiling with GCC and
# its seeds keep passing under the asan build.
if(LTS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LTS_FUZZ=ON needs clang (libFuzzer): configure with CC=clang CXX=clang++")
  endif()
  if(LTS_SANITIZE)
    message(FATAL_ERROR "LTS_FUZZ=ON brings its own sanitizers; leave LTS_SANITIZE off")
  endif()
  # UBSan findings abort, so that libFuzzer reports them as crashes and keeps the input.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# lts_add_fuzzer(<name> SOURCES ... [DEPS ...] [CORPUS <dir>])
#   SOURCES define LLVMFuzzerTestOneInput. CORPUS is the checked-in seed corpus.
function(lts_add_fuzzer name)
  cmake_parse_arguments(A "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  if(LTS_FUZZ)
    add_executable(fuzz_${name} ${A_SOURCES})
    target_link_libraries(fuzz_${name} PRIVATE ${A_DEPS})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    lts_apply_warnings(fuzz_${name})
  elseif(LTS_BUILD_TESTS AND A_CORPUS)
    add_executable(fuzz_${name}_replay ${A_SOURCES}
                   ${PROJECT_SOURCE_DIR}/tests/testing/fuzz/replay_main.cc)
    target_link_libraries(fuzz_${name}_replay PRIVATE ${A_DEPS})
    lts_apply_warnings(fuzz_${name}_replay)
    add_test(NAME fuzz_${name}_corpus COMMAND fuzz_${name}_replay ${A_CORPUS})
    set_tests_properties(fuzz_${name}_corpus PROPERTIES LABELS unit TIMEOUT 300)
    add_dependencies(lts_unit_tests fuzz_${name}_replay)
  endif()
endfunction()
