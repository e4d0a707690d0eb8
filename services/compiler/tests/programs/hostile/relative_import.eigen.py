from . import secrets
from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    h(0)
