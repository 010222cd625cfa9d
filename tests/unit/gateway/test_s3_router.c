#include "test.h"
int main(void){ ok(1,"x"); return tt_done(); }
