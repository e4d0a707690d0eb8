from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    rx((t := 0.5), 0)
