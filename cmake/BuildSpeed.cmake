# Build time (the CI gate builds the tree three times on 2 cores: plain, ASan+UBSan, TSan).
#
# LTS_DEBUG_INFO=lines (default): -g1, line tables only. Backtraces, perf, sanitizer reports and
#   gdb's `bt` keep file:line; gdb cannot show locals. Compiles ~30% faster than -g and links
#   far less. LTS_DEBUG_INFO=full restores -g (for a gdb session that needs locals).
# LTS_LINKER=lld (default when ld.lld is installed: Debian package lld): about 5x faster links
#   of the test binaries than GNU ld. LTS_LINKER=default keeps the compiler's own linker.
set(LTS_DEBUG_INFO "lines" CACHE STRING "Debug info of Debug/RelWithDebInfo builds: lines (-g1) or full (-g)")
set_property(CACHE LTS_DEBUG_INFO PROPERTY STRINGS lines full)
if(NOT LTS_DEBUG_INFO MATCHES "^(lines|full)$")
  message(FATAL_ERROR "LTS_DEBUG_INFO must be 'lines' or 'full', not '${LTS_DEBUG_INFO}'")
endif()
if(LTS_DEBUG_INFO STREQUAL "lines")
  foreach(_lang C CXX)
    foreach(_cfg DEBUG RELWITHDEBINFO)
      string(REGEX REPLACE "(^| )-g( |$)" "\\1-g1\\2" CMAKE_${_lang}_FLAGS_${_cfg}
             "${CMAKE_${_lang}_FLAGS_${_cfg}}")
    endforeach()
  endforeach()
endif()

find_program(LTS_LLD_PROGRAM ld.lld)
if(LTS_LLD_PROGRAM)
  set(_lts_linker_default lld)
else()
  set(_lts_linker_default default)
endif()
set(LTS_LINKER "${_lts_linker_default}" CACHE STRING "Linker: lld or default")
set_property(CACHE LTS_LINKER PROPERTY STRINGS lld default)
if(LTS_LINKER STREQUAL "lld")
  if(NOT LTS_LLD_PROGRAM)
    message(FATAL_ERROR "LTS_LINKER=lld but ld.lld is not installed (Debian package lld); "
                        "install it or pass -DLTS_LINKER=default")
  endif()
  add_link_options(-fuse-ld=lld)
elseif(NOT LTS_LINKER STREQUAL "default")
  message(FATAL_ERROR "LTS_LINKER must be 'lld' or 'default', not '${LTS_LINKER}'")
endif()

# lts_unit_tests: every test binary with the label unit (lts_add_test adds them), and the lts
# binary some of them start. The sanitizer builds of scripts/test.sh build only this.
add_custom_target(lts_unit_tests)
