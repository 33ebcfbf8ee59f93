"""PACS: query, retrieve and send back, over DIMSE (pynetdicom) and DICOMweb."""
