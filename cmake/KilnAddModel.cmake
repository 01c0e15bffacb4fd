# kiln_add_model(<target> SPEC <file> [WEIGHTS <file>] [TARGET <triple>]
#                [MCPU <cpu>] [PREFIX <name>] [SHARED] [EXTERNAL_WEIGHTS])
#
# Compiles a model with kilnc at build time and makes <target> a library
# target for it: link it to a program with
#   target_link_libraries(app PRIVATE <target>)
# and include its header as "<target>.h". The header documents the C API
# (<prefix>_create, <prefix>_run, ...; the prefix is the model's name in the
# spec unless PREFIX is given). The model is recompiled when the spec, the
# weights or kilnc change.
#
#   SPEC     the .nn spec or .onnx model (relative to the current source dir)
#   WEIGHTS  a safetensors file (without it: seeded random weights)
#   TARGET   a target triple such as aarch64-linux-gnu (default: the host),
#            or nvptx: the layers run on an NVIDIA GPU (sm_90 and newer)
#            behind the same C API, loading the CUDA driver at run time
#   MCPU     the target CPU (default: kilnc's, the host's own for the host)
#   SHARED   a shared library (lib<target>.so) instead of a static one
#   EXTERNAL_WEIGHTS
#            keep the weights out of the library, in lib<target>.weights,
#            which the program maps with <prefix>_load_weights(path); the
#            path is the target's KILN_WEIGHTS_FILE property
function(kiln_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "SHARED;EXTERNAL_WEIGHTS"
                        "SPEC;WEIGHTS;TARGET;PREFIX;MCPU" "")
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
  if(ARG_SHARED)
    set(library ${dir}/lib${target}.so)
    set(emit so)
  else()
    set(library ${dir}/lib${target}.a)
    set(emit lib)
  endif()
  set(header ${dir}/${target}.h)
  set(outputs ${library} ${header})
  # Imported targets must name include folders that exist.
  file(MAKE_DIRECTORY ${dir})

  set(args ${spec} --emit=${emit} -o ${library} --header ${header}
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
  if(ARG_EXTERNAL_WEIGHTS)
    list(APPEND args --external-weights)
    list(APPEND outputs ${dir}/lib${target}.weights)
  endif()

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND Kiln::kilnc ${args}
    DEPENDS ${depends} Kiln::kilnc
    COMMENT "Compiling model ${ARG_SPEC} with kilnc"
    VERBATIM)
  add_custom_target(${target}_kiln DEPENDS ${outputs})

  if(ARG_SHARED)
    add_library(${target} SHARED IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES
      IMPORTED_SONAME lib${target}.so)
  else()
    add_library(${target} STATIC IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES
      INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
  endif()
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION ${library}
    INTERFACE_INCLUDE_DIRECTORIES ${dir})
  if(ARG_EXTERNAL_WEIGHTS)
    set_target_properties(${target} PROPERTIES
      KILN_WEIGHTS_FILE ${dir}/lib${target}.weights)
  endif()
  add_dependencies(${target} ${target}_kiln)
endfunction()
