# lts_add_library(<name> SOURCES ... [DEPS ...] [PUBLIC_DEPS ...])
#   One static library per src/ module: lts_<name>. Include roots: src/ and include/.
function(lts_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(lts_${name} STATIC ${A_SOURCES})
  target_include_directories(lts_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(lts_${name} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ${A_DEPS})
  lts_apply_warnings(lts_${name})
endfunction()

# lts_add_executable(<name> SOURCES ... [DEPS ...]): a binary in build/bin.
function(lts_add_executable name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
  lts_apply_warnings(${name})
endfunction()

# lts_add_test(<module> SOURCES ... [DEPS ...] [LABELS ...] [RUN_SERIAL])
#   One gtest binary per module (<module>_test), each test registered with ctest and
#   labelled (default: unit). Tests run from a fresh temp dir they create themselves.
#   RUN_SERIAL: ctest runs these tests alone (tests that measure timing against a deadline).
function(lts_add_test module)
  cmake_parse_arguments(A "RUN_SERIAL" "" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  add_executable(${module}_test ${A_SOURCES})
  target_link_libraries(${module}_test PRIVATE ${A_DEPS} lts_testing GTest::gmock GTest::gtest_main)
  lts_apply_warnings(${module}_test)
  if("unit" IN_LIST A_LABELS)
    add_dependencies(lts_unit_tests ${module}_test)
  endif()
  gtest_discover_tests(${module}_test
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${A_LABELS}" TIMEOUT 300 RUN_SERIAL ${A_RUN_SERIAL}
               ENVIRONMENT "LTS_SOURCE_DIR=${PROJECT_SOURCE_DIR};LTS_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# lts_add_bench(<name> SOURCES ... [DEPS ...]): build/bin/bench_<name>. Built, not gated.
function(lts_add_bench name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(bench_${name} ${A_SOURCES})
  target_link_libraries(bench_${name} PRIVATE ${A_DEPS} benchmark::benchmark)
  lts_apply_warnings(bench_${name})
endfunction()
