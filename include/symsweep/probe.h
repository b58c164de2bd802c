/**
 * @file probe.h
 * @brief The probe layer's mathematics, which is now a layer of its own below it: sym.h.
 *        This header includes it, so that code written against probe.h (plug-ins, tests)
 *        compiles unchanged; new code includes sym.h for the mathematics and probe_api.h
 *        for the probe interface and the registry of built-ins.
 */
#ifndef SYMSWEEP_PROBE_H
#define SYMSWEEP_PROBE_H

/* layering (core <- nn <- sym <- probe <- sweep <- cli; io <- core): a library of a
 * lower layer that includes this header fails to compile */
#if defined(SYM_BUILDING) && !defined(SYM_ALLOW_PROBE)
#error "symsweep/probe.h belongs to a layer above the module being compiled (see CMakeLists.txt)"
#endif

#include "symsweep/sym.h"

#endif
