# kiln_add_model(<target> SPEC <file> [WEIGHTS <file>] [TARGET <triple>]
#                [PREFIX <name>] [MCPU <cpu>])
#
# Compiles a model with kilnc --emit=lib at build time and makes <target> a
# static library target for it: link it to a program with
#   target_link_libraries(app PRIVATE <target>)
# and include its header as "<target>.h". The header documents the C API
# (<prefix>_create, <prefix>_run, ...; the prefix is the model's name in the
# spec unless PREFIX is given). The model is recompiled when the spec, the
# weights or kilnc change.
#
#   SPEC     the .nn spec or .onnx model (relative to the current source dir)
#   WEIGHTS  a safetensors file (without it: seeded random weights)
#   TARGET   a target triple such as aarch64-linux-gnu (default: the host)
#   MCPU     the target CPU (default: kilnc's, the host's own for the host)
function(kiln_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "SPEC;WEIGHTS;TARGET;PREFIX;MCPU"
                        "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "kiln_add_model(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SPEC)
    message(FATAL_ERROR "kiln_add_model(${target}): SPEC <file> is required")
  endif()

  get_filename_component(spec ${ARG_SPEC} ABSOLUTE
                         BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/kiln/${target})
  set(archive ${dir}/lib${target}.a)
  set(header ${dir}/${target}.h)
  # Imported targets must name include folders that exist.
  file(MAKE_DIRECTORY ${dir})

  set(args ${spec} --emit=lib -o ${archive} --header ${header}
           --runtime-dir ${KILN_RUNTIME_DIR})
  set(depends ${spec})
  if(ARG_WEIGHTS)
    get_filename_component(weights ${ARG_WEIGHTS} ABSOLUTE
                           BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND args --weights ${weights})
    list(APPEND depends ${weights})
  endif()
  if(ARG_TARGET)
    list(APPEND args --target ${ARG_TARGET})
  endif()
  if(ARG_MCPU)
    list(APPEND args --mcpu ${ARG_MCPU})
  endif()
  if(ARG_PREFIX)
    list(APPEND args --prefix ${ARG_PREFIX})
  endif()

  add_custom_command(
    OUTPUT ${archive} ${header}
    COMMAND Kiln::kilnc ${args}
    DEPENDS ${depends} Kiln::kilnc
    COMMENT "Compiling model ${ARG_SPEC} with kilnc"
    VERBATIM)
  add_custom_target(${target}_kiln DEPENDS ${archive} ${header})

  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION ${archive}
    INTERFACE_INCLUDE_DIRECTORIES ${dir}
    INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
  add_dependencies(${target} ${target}_kiln)
endfunction()
