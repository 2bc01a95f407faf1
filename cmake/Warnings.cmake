# Strict warnings for our own targets (style.md section 9). Applied per target by
# lts_add_library / lts_add_executable, never to third-party code.
set(LTS_WARNING_FLAGS
    -Wall -Wextra -Wshadow -Wold-style-cast -Woverloaded-virtual -Wnon-virtual-dtor
    -Wcast-align -Wimplicit-fallthrough -Wformat=2)
if(LTS_WERROR)
  list(APPEND LTS_WARNING_FLAGS -Werror)
endif()

function(lts_apply_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${LTS_WARNING_FLAGS}>)
endfunction()
