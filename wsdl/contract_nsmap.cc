// The one definition of gSOAP's global namespaces[] table for the SyncChannel contract.
//
// libgsoapssl++ (built without WITH_NONAMESPACES) refers to the global `namespaces` symbol, and
// the table must be defined in exactly one translation unit of a program: this one. The
// generated service and proxy classes also install the same table on their own contexts.
#include "SyncChannelHttpBinding.nsmap"
