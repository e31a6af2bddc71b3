"""The FHIR R4 API (`/fhir/R4/`): other systems read the hospital's records as FHIR resources.

This package shares its name with the `fhir` package of the `fhir.resources` library, which
builds and validates the resources it sends. `__path__` takes that package's folder in too, so
`import fhir.resources` still finds the library whichever of the two Python meets first.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
